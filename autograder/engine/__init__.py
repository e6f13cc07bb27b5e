"""The grading engine. Its trust boundary is its layout:

INSIDE the sandbox, in the student's process (may be read, patched or impersonated by student code;
it only reports, never decides):

- ``inside/runner.py``: runs the cells the monitor asks for, sends records and cell ends.
- ``inside/tripwires.py``: which watched objects (np.allclose, checks.Suite, ...) were replaced.

OUTSIDE, deciding (never runs student code; believes nothing it did not check):

- ``plan``: which cells run, in which order, taken from where (trusted source or the student).
- ``zygote``: the warm parent that imports the heavy libraries once and forks one monitor per run.
- ``monitor``: a run's supervisor: builds its sandbox, drives the cells, owns the clocks, checks
  every message against ``protocol`` (first message wins), writes the run's result.
- ``protocol``: the schema of the report channel (bounded lines, depth, numbers, known keys).
- ``sandbox``: per-run Linux isolation without root (user, mount, PID, IPC, network and UTS
  namespaces, an allow-listed root, no capabilities, a seccomp deny-list, resource limits).
- ``verdict``: compares the student's records with the reference run's, with the reference's tolerances.
- ``batch``: ``dlcourse grade``: discover, plan, run, verdict, feedback; parallel runs, the journal, the rows.
"""
