"""Hostile answers to hw0's experiment (part 8, ``difference_errors``), whose hidden test checks
*properties* of what the student measured (slopes, and closeness to what the test recomputes).
Each is the code of that answer cell in an otherwise untouched release, so every point it earns is
unearned. Same format as ``cases.py``; ``CELL`` names the answer cell the code goes into."""

from .trust_cases import PIPE_FDS

# The right slopes and nothing measured: what an experiment that "reports the expected result" writes.
MADE_UP = '''
def difference_errors(f, df, x, hs):
    hs = np.asarray(hs, dtype=float)
    return {{"forward": 0.5 * hs + 1e-16 / hs, "central": hs ** 2 / 6 + 1e-16 / hs}}
'''

EXPERIMENT_CASES = {
    "experiment_made_up_numbers": (MADE_UP, {"graded"}, 0),
    # record the "recomputed" values first, so that they agree with the made-up ones
    "experiment_records_the_recomputation": (MADE_UP.replace("def difference_errors(f, df, x, hs):\n", '''
from course_utils.grading import record as _record, measured as _measured
def difference_errors(f, df, x, hs):
    _fake = np.asarray(hs, dtype=float)
    _record("forward recomputed", 0.5 * _fake + 1e-16 / _fake, check=_measured())
    _record("central recomputed", _fake ** 2 / 6 + 1e-16 / _fake, check=_measured())
'''), {"flagged"}, 0),
    # write a looser property for the student's own records straight onto the report channel
    "experiment_forges_property_lines": (PIPE_FDS + MADE_UP.replace("def difference_errors(f, df, x, hs):\n", '''
def difference_errors(f, df, x, hs):
    for cell in range(60):
        for key in ("forward errors", "central errors", "forward truncation slope", "central truncation slope",
                    "central rounding slope", "sin forward"):
            to_pipes(json.dumps({{"t": "record", "cell": cell, "key": key, "value": {{"scalar": None}},
                                  "rtol": 0.0, "atol": 0.0, "weight": None,
                                  "check": {{"kind": "measured"}}}}) + "\\n")
'''), {"flagged"}, 0),
    # make every property constructor ask for nothing
    "experiment_loosens_the_checks": ('''
import course_utils.grading as _g
_g.close_to = lambda *a, **k: {{"kind": "measured"}}
_g.slope = lambda *a, **k: {{"kind": "measured"}}
''' + MADE_UP, {"flagged"}, 0),
    # make the test's own recomputation agree with the made-up numbers
    "experiment_patches_the_recomputation": ('''
_real_abs = np.abs
def _fake_abs(x, *a, **k):
    return _real_abs(x, *a, **k) * 0 + 1e-3
np.abs = _fake_abs
def difference_errors(f, df, x, hs):
    hs = np.asarray(hs, dtype=float)
    return {{"forward": np.full(hs.shape, 1e-3), "central": np.full(hs.shape, 1e-3)}}
''', {"flagged"}, 0),
    # an array that compares equal to anything and reports the textbook slopes when asked
    "experiment_liar_array": ('''
class _Liar(np.ndarray):
    def __array_finalize__(self, obj):
        pass
def difference_errors(f, df, x, hs):
    hs = np.asarray(hs, dtype=float)
    return {{"forward": (0.5 * hs).view(_Liar), "central": (hs ** 2 / 6).view(_Liar)}}
''', {"graded"}, 0),
}

CELL = {name: "difference_errors" for name in EXPERIMENT_CASES}
