"""``dlcourse grade``: grade a folder of submissions and write ``grades.csv`` and feedback.

The work is done by the sandboxed engine in ``autograder.engine``; this module is the thin
entry point the command line and the demo call.
"""

from __future__ import annotations

import time
from pathlib import Path

from .course import Course
from .engine.batch import Limits, grade_batch
from .results import Row


def grade(course: Course, assignment: str, submissions_dir: Path, out_dir: Path, jobs: int | None = None,
          progress: bool = True, limits: Limits | None = None, use_sandbox: bool = True,
          show_details: bool = False, shard: tuple[int, int] | None = None,
          db_url: str | None = None) -> list[Row]:
    start = time.perf_counter()
    rows = grade_batch(course, assignment, Path(submissions_dir), Path(out_dir), jobs, limits or Limits(),
                       progress=progress, use_sandbox=use_sandbox, show_details=show_details, shard=shard,
                       db_url=db_url)
    if progress:
        print(f"Graded {len(rows)} submissions of {assignment} in {time.perf_counter() - start:.1f} s", flush=True)
    return rows
