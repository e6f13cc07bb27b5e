"""Slurm job arrays: grading a large batch in shards, and running notebooks on GPU nodes.

Both commands write one batch script, submit it with ``sbatch --wait`` (so the command returns when
every array task has ended) and then merge what the tasks wrote::

    dlcourse grade hw3 submissions/ --out grades/ --slurm --shards 8
    dlcourse run-notebooks --slurm --out results/      # every lecture, full mode, one GPU each

Defaults come from ``[tool.dlcourse.slurm]`` in ``pyproject.toml`` (set there for MSI) and every one
can be overridden on the command line; an empty value drops the ``#SBATCH`` line. Shards write to
``OUT/.slurm/...`` and keep their own journals, so rerunning an interrupted sharded batch resumes it
like a local one. A task that dies never loses a submission: its students get a ``crashed`` row that
names the task's log.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path

from .errors import CourseError


@dataclass
class SlurmOptions:
    partition: str = ""
    account: str = ""
    time: str = "01:00:00"
    gres: str = ""
    mem: str = ""
    cpus_per_task: int = 2
    conda_env: str = ""  # activated in each task with `source activate`; empty: use this Python
    extra: list[str] = field(default_factory=list)  # more `#SBATCH` arguments, e.g. "--qos=short"

    def directives(self) -> list[str]:
        pairs = [("partition", self.partition), ("account", self.account), ("time", self.time),
                 ("gres", self.gres), ("mem", self.mem), ("cpus-per-task", str(self.cpus_per_task or ""))]
        return [f"#SBATCH --{k}={v}" for k, v in pairs if v] + [f"#SBATCH {e}" for e in self.extra]


def load_options(root: Path, kind: str, overrides: dict) -> SlurmOptions:
    """``kind`` is "grade" or "notebooks": ``grade_partition``/``notebook_partition`` and
    ``notebook_gres`` in the config apply to one kind only."""
    cfg = {}
    pyproject = root / "pyproject.toml"
    if pyproject.exists():
        cfg = tomllib.loads(pyproject.read_text()).get("tool", {}).get("dlcourse", {}).get("slurm", {})
    prefix = "grade_" if kind == "grade" else "notebook_"
    values = {}
    for f in fields(SlurmOptions):
        if f"{prefix}{f.name}" in cfg:
            values[f.name] = cfg[f"{prefix}{f.name}"]
        elif f.name in cfg:
            values[f.name] = cfg[f.name]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return SlurmOptions(**values)


def _require_sbatch() -> str:
    sbatch = shutil.which("sbatch")
    if not sbatch:
        raise CourseError("sbatch was not found: --slurm needs a Slurm cluster (run on a login node, or "
                          "`module load slurm`).")
    return sbatch


def write_array_script(path: Path, name: str, count: int, opts: SlurmOptions, log_dir: Path, body: list[str],
                       cwd: Path) -> Path:
    lines = ["#!/bin/bash", f"#SBATCH --job-name={name}", f"#SBATCH --array=0-{count - 1}",
             f"#SBATCH --output={log_dir}/task-%a.log", *opts.directives(), "set -uo pipefail"]
    if opts.conda_env:
        lines.append(f"source activate {shlex.quote(opts.conda_env)}")
    lines += [f"cd {shlex.quote(str(cwd))}", *body]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def submit_and_wait(script: Path, what: str, progress: bool = True) -> tuple[int, str]:
    """Submit ``script`` and block until every array task ends; returns (exit status, job id)."""
    sbatch = _require_sbatch()
    if progress:
        print(f"Submitting {what} as a Slurm job array ...", flush=True)
    proc = subprocess.run([sbatch, "--parsable", "--wait", str(script)], capture_output=True, text=True)
    job = proc.stdout.strip().split(";")[0]
    if not job:
        raise CourseError(f"sbatch refused the job: {proc.stderr.strip() or 'no job id returned'}")
    if progress:
        print(f"Slurm job {job} ended (sbatch exit status {proc.returncode})", flush=True)
    return proc.returncode, job


def _python(opts: SlurmOptions) -> str:
    # With a conda environment the task's own `python` is the right one; otherwise this interpreter
    # (a venv on the shared file system, as on MSI) runs on the compute node too.
    return "python" if opts.conda_env else shlex.quote(sys.executable)


# ---- grading in shards -------------------------------------------------------------------------

def grade_sharded(course, assignment: str, submissions_dir: Path, out_dir: Path, shards: int,
                  opts: SlurmOptions, grade_args: list[str], db_url: str | None = None, progress: bool = True):
    """Grade in ``shards`` array tasks and merge. With a shared ``db_url`` the shards write the gradebook
    themselves, concurrently; with the default SQLite file only this process writes it, after the merge."""
    from . import results
    from .results import Row
    from .submissions_io import discover

    if shards < 1:
        raise CourseError("--shards must be at least 1")
    course.check_assignment(assignment)
    nb_names = [p.name for p in course.notebooks(assignment)]
    students = [s.student_id for s in discover(Path(submissions_dir), assignment, nb_names)]
    shards = min(shards, len(students))
    work = (out_dir / ".slurm" / f"grade-{assignment}").resolve()
    grade_args = [*grade_args, "--db-url", db_url or "none"]
    body = [
        f"shard_out={shlex.quote(str(work))}/shard-$SLURM_ARRAY_TASK_ID",
        f"{_python(opts)} -m autograder.cli grade {shlex.quote(assignment)} "
        f"{shlex.quote(str(Path(submissions_dir).resolve()))} --out \"$shard_out\" "
        f"--shard \"$SLURM_ARRAY_TASK_ID/{shards}\" --jobs \"${{SLURM_CPUS_PER_TASK:-1}}\" --quiet "
        + " ".join(shlex.quote(a) for a in grade_args),
        "rc=$?",
        "[ \"$rc\" -le 1 ]  # 1 means: finished, some rows are not 'graded' (each says why)",
    ]
    script = write_array_script(work / "grade.sbatch", f"dlcourse-grade-{assignment}", shards, opts, work, body,
                                course.root)
    _, job = submit_and_wait(script, f"{len(students)} submissions of {assignment} in {shards} shards", progress)

    by_student: dict[str, Row] = {}
    for i in range(shards):
        shard_dir = work / f"shard-{i}"
        for row in results.read_rows(shard_dir / "grades.csv"):
            if row.assignment == assignment:
                by_student[row.student_id] = row
        feedback = shard_dir / "feedback"
        if feedback.is_dir():
            shutil.copytree(feedback, out_dir / "feedback", dirs_exist_ok=True)
    for k, sid in enumerate(students):
        if sid not in by_student:
            log = work / f"task-{k % shards}.log"
            by_student[sid] = Row(sid, assignment, status="crashed",
                                  reason=f"Slurm task {k % shards} of job {job} ended without grading this "
                                         f"submission (see {log})")
    rows = [by_student[s] for s in sorted(by_student)]
    csv_path = out_dir / "grades.csv"
    out_dir.mkdir(parents=True, exist_ok=True)
    results.write_rows(csv_path, results.merge(results.read_rows(csv_path), rows))
    if db_url is None:
        from . import gradebook

        gradebook.record(course, assignment, out_dir, [r.student_id for r in rows], gradebook.default_url(out_dir))
    return rows


# ---- notebooks on GPU nodes -------------------------------------------------------------------

def run_notebooks_slurm(course, notebooks: list[Path], out_dir: Path, fast: bool, opts: SlurmOptions,
                        cell_timeout: float, progress: bool = True) -> int:
    out_dir = out_dir.resolve()
    work = out_dir / ".slurm"
    listing = work / "notebooks.txt"
    work.mkdir(parents=True, exist_ok=True)
    listing.write_text("\n".join(str(p.resolve()) for p in notebooks) + "\n")
    body = [
        f"nb=$(sed -n \"$((SLURM_ARRAY_TASK_ID + 1))p\" {shlex.quote(str(listing))})",
        f"{_python(opts)} -m autograder.notebook_runner \"$nb\" {shlex.quote(str(out_dir))} "
        f"--mode {'fast' if fast else 'full'} --cell-timeout {cell_timeout:g}",
    ]
    script = write_array_script(work / "notebooks.sbatch", "dlcourse-notebooks", len(notebooks), opts, work, body,
                                course.root)
    rc, _ = submit_and_wait(script, f"{len(notebooks)} notebooks ({'fast' if fast else 'full'} mode)", progress)
    return rc
