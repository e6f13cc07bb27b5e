"""Repository-wide pytest hooks: per-notebook times and the fast-mode time budget.

Each notebook collected by nbval is a set of cell items. Per notebook we keep two times: the wall time
(the cells' durations added up) and the CPU time its kernel process used, start-up included. Both are
printed at the end of the run and saved to build/notebook-times.json (RESULTS.md is built from it).
The run fails when a notebook's kernel uses more than COURSE_NOTEBOOK_BUDGET_S (default 90 s) of CPU.

Why CPU time: fast mode runs torch on one thread, so a notebook's CPU time is what it takes alone on
one core of this machine, whatever else runs beside it. Its wall time inside the suite also counts the
time it waited for a core, which depends on how many pytest workers share them (08_rnn: 52 s with
two workers, 73 and 94 s in two runs with three on two cores). Where the kernel's CPU time cannot be
read, the budget falls back to the wall time.

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

import pytest

_times: dict[str, float] = defaultdict(float)
_cpu: dict[str, float] = {}
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


def _kernel_cpu_seconds(item) -> float | None:
    """CPU seconds (user + system, its waited-for children included) of the kernel running ``item``'s notebook."""
    try:
        import psutil

        pid = item.parent.kernel.km.provisioner.process.pid
        t = psutil.Process(pid).cpu_times()
    except Exception:  # not an nbval cell, or the kernel is gone: the budget falls back to wall time
        return None
    return t.user + t.system + t.children_user + t.children_system


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when == "call" and item.nodeid.split("::")[0].endswith(".ipynb"):
        cpu = _kernel_cpu_seconds(item)
        if cpu is not None:  # the kernel's total so far; user_properties travel from xdist workers
            outcome.get_result().user_properties.append(("kernel_cpu_s", cpu))


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _times[path] += report.duration
        for key, value in report.user_properties:
            if key == "kernel_cpu_s":
                _cpu[path] = max(_cpu.get(path, 0.0), value)


def _budgeted(nb: str) -> float:
    return _cpu.get(nb, _times[nb])


def _over_budget():
    return {nb: _budgeted(nb) for nb in _times if _budgeted(nb) > BUDGET_S}


def pytest_sessionfinish(session, exitstatus):
    if not _times or hasattr(session.config, "workerinput"):  # only the controller reports
        return
    out = Path(session.config.rootpath) / "build" / "notebook-times.json"
    out.parent.mkdir(exist_ok=True)
    times = {nb: {"wall_s": round(t, 2), "cpu_s": round(_cpu[nb], 2) if nb in _cpu else None}
             for nb, t in sorted(_times.items())}
    out.write_text(json.dumps(times, indent=1) + "\n")
    if _over_budget() and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter):
    if not _times:
        return
    tr = terminalreporter
    tr.section("notebook times (fast mode): kernel CPU, wall inside this run")
    for nb, t in sorted(_times.items()):
        flag = "  OVER BUDGET" if _budgeted(nb) > BUDGET_S else ""
        cpu = f"{_cpu[nb]:7.1f} s" if nb in _cpu else "      - "
        tr.write_line(f"{cpu} CPU {t:7.1f} s wall  {nb}{flag}")
    tr.write_line(f"{sum(_cpu.values()):7.1f} s CPU {sum(_times.values()):7.1f} s wall  total over {len(_times)} "
                  f"notebooks (budget {BUDGET_S:g} s of kernel CPU each)")
    for nb, t in _over_budget().items():
        what = "of kernel CPU" if nb in _cpu else "(wall; its kernel's CPU time could not be read)"
        tr.write_line(f"FAILED budget: {nb} took {t:.1f} s {what} > {BUDGET_S:g} s", red=True)
    results = Path(os.environ.get("COURSE_RESULTS_DIR", "")) if os.environ.get("COURSE_RESULTS_DIR") else None
    if results and results.is_dir():
        tr.section("notebook targets (measured by cu.report_target)")
        for path in sorted(results.glob("*.jsonl")):
            for line in path.read_text().splitlines():
                r = json.loads(line)
                verdict = "PASS" if r["passed"] else "FAIL"
                tr.write_line(f"{verdict}  {r['notebook']}: {r['name']} = {r['value']:.4g} "
                              f"(target {r['op']} {r['threshold']:g}, {r['mode']} mode)")
