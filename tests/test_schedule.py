"""How conftest.py cuts the suite into work units for pytest-xdist and queues them.

`make test` runs `pytest -n N --dist loadscope --no-loadscope-reorder`: each worker runs whole units
(xdist's scopes: a notebook, a test class, a test module), taken from the front of the collection
order, which conftest.py sorts longest first. These tests collect real parts of the suite (nothing runs)
and read back each item's unit, by xdist's own rule, and its place in the queue.
"""

import json
import os
import subprocess
import sys

from helpers import ROOT
from variants import assignments_with_variants
from xdist.scheduler.loadscope import LoadScopeScheduling

PLUGIN = '''
import json, os
def pytest_collection_finish(session):
    rows = [item.nodeid for item in session.items]
    with open(os.environ["UNITS_OUT"], "w") as f:
        json.dump(rows, f)
'''


def _collect(tmp_path, *paths) -> list[tuple[str, str]]:
    (tmp_path / "units_plugin.py").write_text(PLUGIN)
    out = tmp_path / "units.json"
    env = {**os.environ, "UNITS_OUT": str(out), "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "units_plugin",
                           "--nbval-lax", *paths], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [(nodeid, LoadScopeScheduling._split_scope(None, nodeid)) for nodeid in json.loads(out.read_text())]


def test_units_keep_notebooks_whole_and_grade_each_batch_apart(tmp_path):
    items = _collect(tmp_path, "tests/test_assignment_quality.py", "tests/test_report.py",
                     "notebooks/04_autodiff.ipynb")
    units = {unit for _, unit in items}
    cells = [(nodeid, unit) for nodeid, unit in items if nodeid.startswith("notebooks/04_autodiff.ipynb::")]
    assert len(cells) > 10 and {unit for _, unit in cells} == {"notebooks/04_autodiff.ipynb"}
    numbers = [int(nodeid.rsplit(" ", 1)[1]) for nodeid, _ in cells]
    assert numbers == sorted(numbers), "a notebook's cells stay in order"
    assert {unit for nodeid, unit in items if nodeid.startswith("tests/test_report.py::")} == {"tests/test_report.py"}
    # one unit per assignment's graded batch, so two workers can grade two batches at once
    graded = {unit for nodeid, unit in items if "test_reference_gets_full_marks" in nodeid}
    assert graded == {f"tests/test_assignment_quality.py::TestHw{a[2:]}" for a in assignments_with_variants()}
    assert "tests/test_assignment_quality.py" in units  # its module-level tests stay together


def test_units_are_queued_longest_first(tmp_path):
    known = json.loads((ROOT / "tests" / "scope-seconds.json").read_text())
    items = _collect(tmp_path, "tests/test_assignment_quality.py", "tests/test_report.py", "tests/test_term.py",
                     "notebooks/04_autodiff.ipynb", "notebooks/08_rnn.ipynb")
    queue = list(dict.fromkeys(unit for _, unit in items))
    runs = [unit for i, (_, unit) in enumerate(items) if i == 0 or items[i - 1][1] != unit]
    assert runs == queue, "each unit's items are contiguous"
    seconds = [known[u] for u in queue if u in known]
    assert len(seconds) >= 5 and seconds == sorted(seconds, reverse=True)
    first_unknown = next((i for i, u in enumerate(queue) if u not in known), len(queue))
    assert all(u not in known for u in queue[first_unknown:]), "units without a measurement queue last"
