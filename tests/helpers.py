import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DLCOURSE = [sys.executable, "-m", "autograder.cli"]


def dlcourse(*args, cwd=ROOT, env=None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*DLCOURSE, *map(str, args)], cwd=cwd, env=full_env, capture_output=True, text=True)


def tree_digest(folder: Path) -> str:
    """A hash of every file's path and bytes under ``folder`` (to prove nothing was modified)."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if "__pycache__" in p.parts:  # Python's own byte-code caches, written by any import
            continue
        h.update(str(p.relative_to(folder)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


def _without_solution_markers(text: str) -> str:
    return "".join(line for line in text.splitlines(keepends=True)
                   if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def reference_filled(assignment: str) -> dict:
    """The released notebook with every answer cell replaced by the instructor's reference answer,
    as a student who got everything right would hand it in."""
    import json

    (release,) = (ROOT / "release" / assignment).glob("*.ipynb")
    source = json.loads((ROOT / "source" / assignment / release.name).read_text())
    answers = {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) for c in source["cells"]
               if c["metadata"].get("nbgrader", {}).get("solution")}
    nb = json.loads(release.read_text())
    for cell in nb["cells"]:
        gid = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell["source"] = _without_solution_markers(answers[gid])
    return nb


def grade_notebooks(tmp_path: Path, assignment: str, notebooks: dict[str, dict]) -> dict[str, dict]:
    """Hand in each student's notebook (student id -> nbformat dict), grade the batch with
    `dlcourse grade --db-url none` and return grades.csv's rows by student id."""
    import csv
    import json

    for student, nb in notebooks.items():
        (tmp_path / "subs" / student / assignment).mkdir(parents=True)
        (tmp_path / "subs" / student / assignment / f"{assignment}.ipynb").write_text(json.dumps(nb))
    result = dlcourse("grade", assignment, tmp_path / "subs", "--out", tmp_path / "out", "--jobs", "2", "--quiet",
                      "--db-url", "none")
    assert result.returncode == 0, result.stdout + result.stderr
    with open(tmp_path / "out" / "grades.csv", newline="") as f:
        return {r["student_id"]: r for r in csv.DictReader(f)}
