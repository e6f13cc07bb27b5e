"""Executed copies of the lecture notebooks, shared by `make test` (nbval) and `make site`.

`make test` already executes every lecture in fast mode under nbval. This pytest plugin (conftest.py
loads it) records what each cell printed and drew while nbval runs it, and when every code cell of a
notebook under notebooks/ has run and passed, writes the executed notebook to
build/executed/notebooks/<stem>.ipynb, stamped in its metadata with an *execution key*. `make site`
(tools/site_build.py) uses a copy whose key matches the current notebook and executes only the others,
writing them the same way, so build/executed/ is the one execution cache of both.

The key is a sha256 of what decides a notebook's outputs: its code cells (sources and tags, in order),
its kernel, every file of course_utils/ and the mode (only fast mode is captured). Markdown is not in
it: the site takes the markdown from the current notebook and the outputs from the copy, so fixing a
typo re-runs nothing.

Faithful outputs: nbval keeps its own list of outputs only for comparing (it merges every stream of a
cell into one and drops clear_output), so the plugin listens to the same kernel messages nbval reads
(it wraps the notebook's `get_kernel_message` for the duration of one cell) and turns each into an
nbformat output with `nbformat.v4.output_from_msg`, as nbclient does: streams in order (consecutive
chunks of one stream merged), display_data and execute_result with every MIME type (image/png
included), errors, clear_output and update_display_data. tests/test_site.py checks the result against
nbclient's execution of the same notebook.

Figures: `make test` exports MPLBACKEND=Agg, with which plt.show() draws nothing. The kernels of the
lectures we capture are started with Jupyter's (and Colab's) inline backend instead, so figures become
image/png outputs as students see them; this costs about a second of rendering per lecture.

Capture never decides a test: any failure in it only means no copy is written (and a stale copy is
removed), and `make site` executes that notebook itself.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import os
import tempfile
from pathlib import Path

try:
    from pytest import hookimpl
except ImportError:  # tools/site_build.py uses this module too, and building the site needs no pytest

    def hookimpl(**_):
        return lambda function: function


ROOT = Path(__file__).resolve().parent.parent
FORMAT = "dlcourse-executed-v2"
CAPTURED_DIRS = ("notebooks",)  # only lectures: source/ holds solutions and is never copied anywhere
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"  # Jupyter's and Colab's: figures are outputs


def executed_dir(root: Path = ROOT) -> Path:
    return Path(os.environ.get("DLCOURSE_EXECUTED_DIR") or root / "build" / "executed")


def fast_mode_env() -> bool:
    return os.environ.get("COURSE_FAST", "1").strip().lower() in {"1", "true", "yes", "on"}


def course_utils_digest(root: Path = ROOT) -> str:
    h = hashlib.sha256()
    base = root / "course_utils"
    for path in sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(path.relative_to(base).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def execution_key(nb, utils_digest: str, fast: bool = True) -> str:
    """sha256 of everything that decides the outputs of `nb` (an nbformat v4 notebook)."""
    h = hashlib.sha256(FORMAT.encode() + b"\0")
    h.update(json.dumps(nb.get("metadata", {}).get("kernelspec", {}).get("name", "python3")).encode())
    for cell in nb.cells:
        if cell.cell_type == "code":
            tags = sorted(cell.get("metadata", {}).get("tags", []))
            h.update(b"\0cell\0" + json.dumps([cell.source, tags]).encode())
    h.update(b"\0utils\0" + utils_digest.encode() + (b"\0fast" if fast else b"\0full"))
    return h.hexdigest()


def write_executed(nb, rel_path: str, key: str, executed_by: str, root: Path = ROOT) -> Path:
    """Write executed notebook `nb` to build/executed/<rel_path>, stamped with `key`, atomically."""
    import nbformat

    nb = copy.deepcopy(nb)
    nb.metadata["dlcourse_executed"] = {
        "format": FORMAT,
        "execution_key": key,
        "executed_by": executed_by,
        "executed_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "course_fast": os.environ.get("COURSE_FAST", "1"),
    }
    nbformat.validate(nb)
    out = executed_dir(root) / rel_path
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        nbformat.write(nb, f)
    os.chmod(tmp, 0o644)
    os.replace(tmp, out)
    return out


class OutputRecorder:
    """Builds a cell's nbformat outputs from the kernel's iopub messages, the way nbclient does."""

    def __init__(self):
        self.outputs: list = []
        self.msg_id: str | None = None
        self._clear_before_next = False

    def feed(self, msg: dict) -> None:
        from nbformat.v4 import output_from_msg

        parent = msg.get("parent_header", {}).get("msg_id")
        if self.msg_id is None or parent != self.msg_id:
            return
        kind = msg["msg_type"]
        content = msg["content"]
        if kind == "clear_output":
            if content.get("wait"):
                self._clear_before_next = True
            else:
                self.outputs.clear()
            return
        if kind == "update_display_data":
            display_id = content.get("transient", {}).get("display_id")
            for out in self.outputs:
                if display_id and out.get("_display_id") == display_id:
                    out["data"], out["metadata"] = content["data"], content["metadata"]
            return
        if kind not in {"stream", "display_data", "execute_result", "error"}:
            return
        if self._clear_before_next:
            self.outputs.clear()
            self._clear_before_next = False
        out = output_from_msg(msg)
        last = self.outputs[-1] if self.outputs else None
        if kind == "stream" and last is not None and last.output_type == "stream" and last.name == out.name:
            last.text += out.text  # nbclient merges consecutive chunks of one stream the same way
            return
        display_id = content.get("transient", {}).get("display_id")
        if display_id:
            out["_display_id"] = display_id
        self.outputs.append(out)

    def final_outputs(self) -> list:
        for out in self.outputs:
            out.pop("_display_id", None)
        return self.outputs


def _rel(item) -> str | None:
    """The notebook's path relative to the repository, if it is one whose executions are kept."""
    path = Path(str(item.path)).resolve()
    if path.is_relative_to(ROOT):
        rel = path.relative_to(ROOT)
        return rel.as_posix() if rel.parts[0] in CAPTURED_DIRS else None
    return path.name if os.environ.get("DLCOURSE_EXECUTED_DIR") else None  # the plugin's own test


class _NotebookRun:
    def __init__(self, nb, rel: str):
        self.nb = nb
        self.rel = rel
        self.key = execution_key(nb, course_utils_digest(), fast=True)
        self.outputs: dict[int, list] = {}  # code cell number -> its outputs
        self.ok = True
        self.skipped: set[int] = set()  # cells the notebook itself marks nbval-skip / skip-execution


_runs: dict[str, _NotebookRun] = {}


def _is_nbval_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell" and hasattr(item, "cell_num") and hasattr(item.parent, "nb")


def _wants_capture(item) -> bool:
    return _is_nbval_cell(item) and fast_mode_env() and _rel(item) is not None


def _run_of(item) -> _NotebookRun | None:
    rel = _rel(item)
    if rel not in _runs:
        try:
            _runs[rel] = _NotebookRun(item.parent.nb, rel)
        except Exception:  # noqa: BLE001 - capture must never fail a test
            return None
    return _runs[rel]


def _wrap_call(item):
    """Install the recorder for this cell; return a function that removes it and returns the recorder."""
    parent = item.parent
    recorder = OutputRecorder()
    kernel = parent.kernel
    original_get = parent.get_kernel_message
    original_execute = kernel.execute_cell_input

    def execute_cell_input(*args, **kwargs):
        recorder.msg_id = original_execute(*args, **kwargs)
        return recorder.msg_id

    def get_kernel_message(*args, **kwargs):
        msg = original_get(*args, **kwargs)
        try:
            recorder.feed(msg)
        except Exception:  # noqa: BLE001
            recorder.msg_id = "<broken>"
        return msg

    parent.get_kernel_message = get_kernel_message
    kernel.execute_cell_input = execute_cell_input

    def restore():
        parent.__dict__.pop("get_kernel_message", None)
        kernel.__dict__.pop("execute_cell_input", None)
        return recorder

    return restore


# ----------------------------------------------------------------------------------- pytest hooks
@hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item):
    """nbval starts a notebook's kernel while setting up its first cell: give it the inline backend."""
    if not _wants_capture(item) or getattr(item.parent, "kernel", None) is not None:
        yield
        return
    saved = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = INLINE_BACKEND
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = saved


@hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    if not _wants_capture(item) or item.options.get("skip") or getattr(item.parent, "kernel", None) is None:
        yield
        return
    run = _run_of(item)
    restore = _wrap_call(item)
    try:
        yield
    finally:
        recorder = restore()
        if run is not None:
            if recorder.msg_id in (None, "<broken>"):
                run.ok = False
            else:
                run.outputs[item.cell_num] = recorder.final_outputs()


@hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when == "teardown" or not _wants_capture(item):
        return
    report = outcome.get_result()
    run = _run_of(item)
    if run is None:
        return
    tags = set(item.cell.get("metadata", {}).get("tags", []))
    if report.skipped and call.when in ("setup", "call") and ({"nbval-skip", "skip-execution"} & tags
                                                            or item.options.get("skip")):
        run.skipped.add(item.cell_num)  # skipped by the notebook's own marker: no outputs, as on the site
    elif report.failed or report.skipped:
        run.ok = False


def pytest_runtest_teardown(item, nextitem):
    if not _wants_capture(item):
        return
    if nextitem is not None and getattr(nextitem, "parent", None) is item.parent:
        return
    rel = _rel(item)
    run = _runs.pop(rel, None)
    if run is None:
        return
    try:
        _finish(run)
    except Exception:  # noqa: BLE001 - never fail a test over the cache
        _discard(run.rel)


def _discard(rel: str) -> None:
    try:
        (executed_dir() / rel).unlink()
    except OSError:
        pass


def _finish(run: _NotebookRun) -> None:
    code_cells = [c for c in run.nb.cells if c.cell_type == "code"]
    ran = set(run.outputs) | run.skipped
    if not run.ok or ran != set(range(len(code_cells))):
        _discard(run.rel)  # a failed or partial run (-k, a failing cell): no copy, the site executes it
        return
    nb = copy.deepcopy(run.nb)
    count = 0
    for num, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        # nbval runs cells with store_history=False, so the kernel's counts stay at 1: number them as
        # nbclient does (1, 2, ... over the cells that ran; a skipped cell has none).
        cell.outputs = run.outputs.get(num, [])
        count += num in run.outputs
        cell.execution_count = count if num in run.outputs else None
        for out in cell.outputs:
            if out.output_type == "execute_result":
                out.execution_count = cell.execution_count
    write_executed(nb, run.rel, run.key, executed_by="nbval")
