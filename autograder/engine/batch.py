"""Orchestration behind ``dlcourse grade``: reference run, parallel sandboxed runs, a journal.

Every finished submission is appended to ``OUT/.journal/<assignment>.jsonl`` (flushed and
fsynced) before the next is reported. A rerun reuses the journal entries whose submission and
source digests still match, so a batch killed with ``kill -9`` finishes where it stopped, and
rerunning a finished batch changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import acknowledgements, feedback, results
from ..course import Course
from ..errors import CourseError
from ..results import Row
from ..submissions_io import Submission, discover
from . import plan as planning
from . import sandbox, verdict


@dataclass
class Limits:
    memory: int = 4 << 30
    cell_timeout: float = 120.0
    total_timeout: float = 600.0
    max_procs: int = 64
    max_file: int = 64 << 20
    disk: int = 256 << 20
    output_bytes: int = 64 << 20


def digest_folder(folder: Path | None) -> str:
    h = hashlib.sha256()
    if folder is not None and folder.is_dir():
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                h.update(str(p.relative_to(folder)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()[:32]


def python_paths(exclude: list[Path]) -> list[str]:
    """What a run's root file system holds, read-only: the Python installation (interpreter,
    standard library, site-packages), the system libraries extension modules load, and the course
    helpers. A path that contains anything in ``exclude`` (the course, the submissions, the output)
    is never bound, whatever the layout of the installation."""
    import sysconfig

    import course_utils

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(course_utils.__file__).parent)}
    paths |= {v for k, v in sysconfig.get_paths().items() if k in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths |= {p for p in sys.path if any(part in p for part in ("site-packages", "dist-packages", "lib-dynload"))}
    paths |= {"/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/local/lib"}
    for link in ("/lib", "/lib64", "/lib32"):
        if not os.path.islink(link):
            paths.add(link)
    out = []
    for p in sorted(paths):
        path = Path(p).resolve()
        if not path.is_dir() or str(path) == "/":
            continue
        if any(_contains(path, x) for x in exclude):
            continue
        out.append(str(path))
    return out


def _contains(folder: Path, inner: Path) -> bool:
    try:
        inner.resolve().relative_to(folder)
        return True
    except ValueError:
        return False


def zygote_env() -> dict[str, str]:
    """The warm parent's whole environment: nothing of the grader's own (tokens, database URLs)."""
    from .monitor import CHILD_ENV

    env = {**CHILD_ENV, "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONNOUSERSITE": "1"}
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def preimports(source_nb: dict) -> list[str]:
    """The warm parent's imports for one assignment. Importing torch, scikit-learn and SciPy costs the
    parent about 3 s, a fixed cost of every batch that an assignment like hw0 (NumPy only) never earns
    back. They are left out only when no code of the instructor's notebook names any of them and none
    uses a course_utils helper beyond checks and grading (the helpers import them lazily): then no
    test cell can rely on them, so their tripwires are not needed either. A student who imports one
    anyway pays for it in their own run."""
    from ..authoring import library_use
    from .zygote import DEFAULT_PREIMPORT, OPTIONAL_ROOTS

    names, paths = library_use(source_nb)
    lean_paths = ("course_utils", "course_utils.checks", "course_utils.grading", "course_utils.installed",
                  "course_utils.ready_to_submit")
    # `cu` is the course's name for course_utils even where the notebook never binds it itself
    if names is None or names & (OPTIONAL_ROOTS | {"cu"}) or any(
            p not in lean_paths and not p.startswith(("course_utils.checks.", "course_utils.grading.")) for p in paths):
        return list(DEFAULT_PREIMPORT)
    return [m for m in DEFAULT_PREIMPORT if m.split(".")[0] not in OPTIONAL_ROOTS]


class Zygote:
    """The warm parent process (see ``zygote.py``) and the jobs folder its monitors read."""

    def __init__(self, exclude: list[Path], use_sandbox: bool, preimport: list[str] | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="dlcourse-jobs-"))
        os.chmod(self.dir, 0o700)
        self.use_sandbox = use_sandbox
        config = {"jobs_dir": str(self.dir), "sandbox": use_sandbox,
                  "keep": python_paths([*exclude, self.dir])}
        if preimport is not None:
            config["preimport"] = preimport
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.engine.zygote"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=zygote_env(),
                                     stderr=subprocess.DEVNULL, cwd="/")
        self.proc.stdin.write(json.dumps(config) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            self.close()
            raise CourseError("the grading sandbox failed to start")
        self.counter = 0

    def submit(self, cells: list[dict], files: dict[str, bytes], limits: Limits) -> str:
        self.counter += 1
        job_id = f"j{self.counter:06d}"
        (self.dir / job_id).mkdir(mode=0o700)
        job = {"cells": cells, "limits": asdict(limits),
               "files": {n: base64.b64encode(b).decode() for n, b in files.items()},
               "unsafe_workdir": str(self.dir / job_id / "work")}
        (self.dir / job_id / "job.json").write_text(json.dumps(job))
        self.proc.stdin.write(f"run {job_id}\n")
        self.proc.stdin.flush()
        return job_id

    def wait_one(self) -> str:
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise CourseError("the grading sandbox stopped unexpectedly")
            parts = line.split()
            if len(parts) == 2 and parts[0] == "done":
                return parts[1]

    def events(self, job_id: str) -> verdict.RunLog:
        path = self.dir / job_id / "result.json"
        text = path.read_text(errors="replace") if path.exists() else ""
        shutil.rmtree(self.dir / job_id, ignore_errors=True)
        return verdict.parse_result(text)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def _load(path: Path) -> dict:
    import nbformat

    return nbformat.read(str(path), as_version=4)


def _cells_for_job(p: planning.Plan) -> list[dict]:
    return [{"label": c.label, "source": c.source, "kind": c.kind} for c in p.cells]


def grade_batch(course: Course, assignment: str, submissions_dir: Path, out_dir: Path, jobs: int | None,
                limits: Limits, progress: bool = True, use_sandbox: bool = True,
                show_details: bool = False, shard: tuple[int, int] | None = None,
                db_url: str | None = None) -> list[Row]:
    """Grade every submission of ``assignment``; ``show_details`` puts full error messages, even
    from hidden tests, into the feedback (an instructor's opt-in). ``shard=(i, n)`` grades only the
    students whose position in the sorted list is i modulo n (one task of a Slurm array). Results
    also go to nbgrader's gradebook at ``db_url`` (default ``OUT/gradebook.db``; ``"none"`` skips it)."""
    course.check_assignment(assignment)
    notebooks = course.notebooks(assignment)
    if len(notebooks) != 1:
        raise CourseError(f"{assignment} has {len(notebooks)} notebooks; the grader handles one per assignment")
    nb_name = notebooks[0].name
    subs = discover(Path(submissions_dir), assignment, [nb_name])
    if shard is not None:
        index, count = shard
        subs = [s for k, s in enumerate(subs) if k % count == index]
    if use_sandbox:
        ok, why = sandbox.available()
        if not ok:
            raise CourseError(f"{why}. Refusing to run student code unsandboxed; pass --unsafe-no-sandbox "
                              "only for submissions you trust.")
    source_nb = _load(notebooks[0])
    release_path = course.release / assignment / nb_name
    if not release_path.exists():
        raise CourseError(f"release/{assignment}/{nb_name} is missing: run `dlcourse release {assignment}` first.")
    release_nb = _load(release_path)
    data_files = {p.name: p.read_bytes() for p in (course.source / assignment).iterdir()
                  if p.is_file() and p.suffix != ".ipynb"}
    source_digest = digest_folder(course.source / assignment) + digest_folder(course.release / assignment)

    out_dir = Path(out_dir)
    journal_path = out_dir / ".journal" / f"{assignment}.jsonl"
    done = _read_journal(journal_path, source_digest)
    todo, rows_by_student = [], {}
    reference_plan = planning.reference_plan(source_nb, release_nb)
    max_score = sum(i.points for i in reference_plan.items)
    auto_max = sum(i.points for i in reference_plan.items if i.kind == "test")
    for sub in subs:
        if sub.problems:
            rows_by_student[sub.student_id] = Row(sub.student_id, assignment, max_score=max_score,
                                                  auto_max_score=auto_max, status="invalid",
                                                  reason="; ".join(sub.problems + sub.notes),
                                                  acknowledgements_missing=acknowledgements.column(source_nb, None))
            continue
        digest = sub.digest  # of the bytes discover() read; the grader never reads the student's files again
        entry = done.get(sub.student_id)
        if entry and entry["digest"] == digest:
            rows_by_student[sub.student_id] = Row(**entry["row"])
        else:
            todo.append((sub, digest))

    if todo:
        exclude = [course.root, Path(submissions_dir).resolve(), out_dir.resolve()]
        if use_sandbox and os.geteuid() == 0:
            sandbox.kill_stale()  # left over if an earlier root grader was killed with -9
        zyg = Zygote(exclude, use_sandbox, preimports(source_nb))
        try:
            ref_log = _run_reference(zyg, reference_plan, data_files, limits)
            jobs = max(1, jobs or os.cpu_count() or 1)
            autograded = out_dir if db_url != "none" else None
            csv_path = out_dir / "grades.csv"
            earlier = results.read_rows(csv_path)
            for sub, row, parts in _run_all(zyg, todo, nb_name, source_nb, release_nb, reference_plan, ref_log,
                                            data_files, limits, jobs, progress, show_details, autograded):
                # The "Collaborators and AI use" fields the student left empty (autograder/acknowledgements.py):
                # a grades.csv column only, never points; column() never raises (unreadable: all missing).
                row.acknowledgements_missing = acknowledgements.column(source_nb, sub.notebook)
                rows_by_student[sub.student_id] = row
                _write_feedback(out_dir, row, parts)
                _append_journal(journal_path, {"student": sub.student_id, "digest": sub.digest,
                                               "source": source_digest, "row": asdict(row)})
                # grades.csv grows as rows finish: a batch stopped midway still shows every graded row
                results.write_rows(csv_path, results.merge(earlier, list(rows_by_student.values())))
        finally:
            zyg.close()
    rows = sorted(rows_by_student.values(), key=lambda r: r.student_id)
    csv_path = out_dir / "grades.csv"
    results.write_rows(csv_path, results.merge(results.read_rows(csv_path), rows))
    if db_url != "none" and rows:
        from .. import gradebook

        gradebook.record(course, assignment, out_dir, [r.student_id for r in rows],
                         db_url or gradebook.default_url(out_dir))
    return rows


def _run_reference(zyg: Zygote, reference_plan, data_files, limits) -> verdict.RunLog:
    job = zyg.submit(_cells_for_job(reference_plan), data_files, limits)
    zyg.wait_one()
    log = zyg.events(job)
    for item in reference_plan.items:
        if item.kind != "test":
            continue
        end = log.cells.get(item.grade_id)
        problem = log.tampered_at(item.grade_id)
        if end is None or not end.get("ok") or problem or end.get("tripwire"):
            what = (problem or (f"{end.get('ename')}: {end.get('evalue')}" if end and not end.get("ok") else "")
                    or (f"replaced {', '.join(end['tripwire'])}" if end and end.get("tripwire") else "")
                    or f"did not run ({log.reason})")
            raise CourseError(f"The reference solution fails its own test cell {item.grade_id}: {what}")
    return log


def _run_all(zyg, todo, nb_name, source_nb, release_nb, reference_plan, ref_log, data_files, limits, jobs,
             progress, show_details, autograded_out: Path | None = None):
    from tqdm.auto import tqdm

    bar = tqdm(total=len(todo), desc="grading", unit="sub", disable=not progress or None, file=sys.stderr)
    queue = list(todo)
    in_flight: dict[str, tuple[Submission, planning.Plan, float]] = {}
    try:
        while queue or in_flight:
            while queue and len(in_flight) < jobs:
                sub, _ = queue.pop(0)
                try:
                    if sub.notebook is None:
                        raise ValueError("no notebook was read")
                    p = planning.build_plan(source_nb, sub.notebook, release_nb)
                except Exception as exc:  # unreadable after all: a row, never a stopped batch
                    row = Row(sub.student_id, sub.folder.name, max_score=sum(i.points for i in reference_plan.items),
                              auto_max_score=sum(i.points for i in reference_plan.items if i.kind == "test"),
                              status="invalid",
                              reason=f"{nb_name} could not be read: {type(exc).__name__}: {exc}")
                    yield sub, row, []
                    bar.update()
                    continue
                job = zyg.submit(_cells_for_job(p), data_files, limits)
                in_flight[job] = (sub, p, time.perf_counter())
            if not in_flight:
                continue
            job = zyg.wait_one()
            sub, p, _ = in_flight.pop(job)
            try:
                log = zyg.events(job)
                row, parts = judge(sub, p, reference_plan, ref_log, log, show_details)
                if autograded_out is not None:
                    from ..gradebook import write_autograded

                    write_autograded(autograded_out, sub.folder.name, nb_name, sub.student_id, source_nb, p)
            except Exception as exc:  # the grader's own failure on this one submission: its row says so
                row = Row(sub.student_id, sub.folder.name, max_score=sum(i.points for i in reference_plan.items),
                          auto_max_score=sum(i.points for i in reference_plan.items if i.kind == "test"),
                          status="crashed",
                          reason=f"grader error on this submission: {type(exc).__name__}: {exc}"[:300])
                parts = []
            bar.update()
            yield sub, row, parts
    finally:
        bar.close()


def judge(sub: Submission, p: planning.Plan, reference_plan: planning.Plan, ref_log: verdict.RunLog,
          log: verdict.RunLog, show_details: bool = False) -> tuple[Row, list[feedback.Part]]:
    assignment = sub.folder.name
    row = Row(sub.student_id, assignment)
    parts: list[feedback.Part] = []
    reasons: list[str] = []
    unverified = []
    tampered: dict[str, list[str]] = {}  # why -> the test cells it cost
    for item in p.items:
        row.max_score += item.points
        if item.kind == "written":
            answered = item.student_text is not None and item.student_text.strip() != item.stub_text.strip()
            if answered:
                row.manual_pending += item.points
                parts.append(feedback.Part(item.grade_id, "written", item.points, None, None, ""))
            else:
                parts.append(feedback.Part(item.grade_id, "written", item.points, 0.0, False, "No answer given."))
            continue
        row.auto_max_score += item.points
        v = verdict.judge_test(item, ref_log, log, p.answer_sources)
        row.auto_score += v.earned
        if not v.verified:
            unverified.append(item.grade_id)
        if v.message_kind == "tampered":
            tampered.setdefault(v.detail, []).append(item.grade_id)
        parts.append(feedback.Part(item.grade_id, "tests", item.points, v.earned, v.passed,
                                   _message(item, v, show_details)))
    reasons += [f"{', '.join(cells)}: {why}" for why, cells in tampered.items()]
    row.score = row.auto_score
    row.auto_score = round(row.auto_score, 6)
    row.score = round(row.score, 6)
    if reasons:
        row.status = "flagged"
        reasons.insert(0, "runtime tampering detected, no points for the affected tests")
    elif log.status == "timeout":
        row.status = "timeout"
        reasons.append(log.reason)
    elif log.status == "crashed" or not log.finished:
        row.status = "crashed"
        reasons.append(log.reason if log.status == "crashed" else "the notebook stopped before its last cell")
    if row.manual_pending:
        reasons.append(f"{row.manual_pending:g} points of written answers need manual grading")
    if unverified:
        reasons.append(f"verdict from inside the notebook only (no recorded values): {', '.join(unverified)}")
    reasons += sub.notes + p.notes
    row.reason = "; ".join(reasons)
    return row, parts


def _message(item, v: verdict.CellVerdict, show_details: bool = False) -> str:
    if v.passed and v.earned >= item.points:
        return "All tests passed."
    hint_txt = feedback.hint_text(item.visible_source)
    if v.message_kind == "error":
        return feedback.error_message(item.visible_source, v.ename, v.evalue, show_details,
                                      item.has_hidden) + hint_txt
    if v.message_kind == "mismatch":
        return f"A hidden test failed: {v.detail}.{hint_txt}"
    if v.message_kind == "static":
        return f"{v.detail}.{hint_txt}"
    if v.message_kind == "tampered":
        return f"Not graded: {v.detail}."
    return f"{v.detail}.{hint_txt}"


def _write_feedback(out_dir: Path, row: Row, parts) -> None:
    page = out_dir / "feedback" / row.student_id / f"{row.assignment}.html"
    page.parent.mkdir(parents=True, exist_ok=True)
    tmp = page.with_suffix(".html.tmp")
    tmp.write_text(feedback.render(row, parts), encoding="utf-8")
    tmp.replace(page)
    # Per-question results for the class report (report.html) and for `dlcourse feedback`, which
    # rebuilds the page once people have graded the written answers; messages are the filtered ones.
    items = [{"grade_id": p.grade_id, "kind": p.kind, "points": p.points, "earned": p.earned, "passed": p.passed,
              "message": p.message} for p in parts]
    tmp = page.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(items), encoding="utf-8")
    tmp.replace(page.with_suffix(".json"))


def _read_journal(path: Path, source_digest: str) -> dict[str, dict]:
    out = {}
    if not path.exists():
        return out
    for line in path.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # the half-written last line of a killed run
        if isinstance(entry, dict) and entry.get("source") == source_digest and "row" in entry:
            out[entry["student"]] = entry
    return out


def _append_journal(path: Path, entry: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\n")
        f.flush()
        os.fsync(f.fileno())
