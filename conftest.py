"""Repository-wide pytest hooks: per-notebook wall times and the fast-mode time budget.

Each notebook collected by nbval is a set of cell items; we add up their durations per notebook,
print them at the end of the run, save them to build/notebook-times.json (RESULTS.md is built from
it), and fail the run when a notebook exceeds COURSE_NOTEBOOK_BUDGET_S (default 90 s).

It also loads tools/site_capture.py: while nbval runs a lecture, that plugin keeps what each cell
printed and drew, and writes the executed notebook to build/executed/ for `make site` to reuse. The
site's own test (tests/test_site.py) builds from those copies, so in a run that also executes
notebooks it is left out here and run after them (the Makefile's `test` target does that).
"""

import importlib.util
import json
import os
from collections import defaultdict
from pathlib import Path

_times: dict[str, float] = defaultdict(float)
BUDGET_S = float(os.environ.get("COURSE_NOTEBOOK_BUDGET_S", "90"))


def pytest_configure(config):
    path = Path(__file__).resolve().parent / "tools" / "site_capture.py"
    spec = importlib.util.spec_from_file_location("dlcourse_site_capture", path)
    plugin = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plugin)
    config.pluginmanager.register(plugin, "dlcourse_site_capture")


def pytest_collection_modifyitems(config, items):
    if not any(item.nodeid.split("::")[0].endswith(".ipynb") for item in items):
        return
    site = [item for item in items if item.nodeid.split("::")[0].endswith("tests/test_site.py")]
    if site:  # it needs this run's executions: `make test` runs it next, on its own
        config.hook.pytest_deselected(items=site)
        items[:] = [item for item in items if item not in site]


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _times[path] += report.duration


def _over_budget():
    return {nb: t for nb, t in _times.items() if t > BUDGET_S}


def pytest_sessionfinish(session, exitstatus):
    if not _times or hasattr(session.config, "workerinput"):  # only the controller reports
        return
    out = Path(session.config.rootpath) / "build" / "notebook-times.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(dict(sorted(_times.items())), indent=1) + "\n")
    if _over_budget() and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if not _times:
        return
    tr = terminalreporter
    tr.section("notebook wall times (fast mode)")
    for nb, t in sorted(_times.items()):
        flag = "  OVER BUDGET" if t > BUDGET_S else ""
        tr.write_line(f"{t:7.1f} s  {nb}{flag}")
    tr.write_line(f"{sum(_times.values()):7.1f} s  total over {len(_times)} notebooks (budget {BUDGET_S:g} s each)")
    for nb, t in _over_budget().items():
        tr.write_line(f"FAILED budget: {nb} took {t:.1f} s > {BUDGET_S:g} s", red=True)
    results = Path(os.environ.get("COURSE_RESULTS_DIR", "")) if os.environ.get("COURSE_RESULTS_DIR") else None
    if results and results.is_dir():
        tr.section("notebook targets (measured by cu.report_target)")
        for path in sorted(results.glob("*.jsonl")):
            for line in path.read_text().splitlines():
                r = json.loads(line)
                verdict = "PASS" if r["passed"] else "FAIL"
                tr.write_line(f"{verdict}  {r['notebook']}: {r['name']} = {r['value']:.4g} "
                              f"(target {r['op']} {r['threshold']:g}, {r['mode']} mode)")
