"""One way into nbgrader: an ``NbGraderAPI`` bound to a scratch course directory.

nbgrader wants a course directory with ``source/``, ``release/``, ``submitted/``... and a gradebook
database. We never point it at the repository itself: each run gets a fresh workspace (a temporary
folder), so the repository gathers no gradebook or stale files and two runs cannot see each other.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
from pathlib import Path

from .course import CONFIG_FILE
from .errors import CourseError


def load_config(root: Path, db_url: str | None = None):
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader(CONFIG_FILE.name, path=str(CONFIG_FILE.parent)).load_config()
    cfg.CourseDirectory.root = str(root)
    cfg.CourseDirectory.db_url = db_url or f"sqlite:///{root / 'gradebook.db'}"
    cfg.Exchange.root = str(root / "exchange")  # never the system-wide /srv/nbgrader/exchange
    return cfg


def _put_env_bin_on_path() -> None:
    # nbgrader runs the `alembic` executable by name to set up its database, so the environment's
    # bin/ folder must be on PATH even when dlcourse is started as .venv/bin/dlcourse.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def read_alembic_head_in_process() -> None:
    """A new gradebook records the head revision of nbgrader's migrations, which nbgrader asks of a new
    ``alembic`` process (``nbgrader.api.get_alembic_version``): 2.2 s, a fresh interpreter importing
    SQLAlchemy and nbgrader again, on every gradebook ``dlcourse grade`` or ``release`` creates. The
    same revision, read here from the same migration scripts, takes 0.08 s."""
    import nbgrader.api
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    heads = ScriptDirectory(ALEMBIC_DIR).get_heads()
    if len(heads) == 1:  # otherwise leave it to nbgrader's own `alembic heads`
        nbgrader.api.get_alembic_version = lambda: heads[0]


def make_api(root: Path, db_url: str | None = None):
    _put_env_bin_on_path()
    read_alembic_head_in_process()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    cfg = load_config(root, db_url)
    api = NbGraderAPI(CourseDirectory(config=cfg), config=cfg)
    api.log.setLevel(logging.ERROR)
    return api


def check(result: dict, what: str) -> None:
    if not result.get("success"):
        detail = (result.get("error") or result.get("log") or "").strip().splitlines()
        raise CourseError(f"nbgrader could not {what}:\n" + "\n".join(detail[-15:]))


def prepare_workspace(workspace: Path, source_dir: Path, assignment: str, db_url: str | None = None):
    """Copy an assignment's source into ``workspace`` and let nbgrader generate it there.

    Generating records every notebook and grade cell in the gradebook, which autograding needs.
    Returns the API bound to the workspace.
    """
    target = workspace / "source" / assignment
    shutil.copytree(source_dir, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    api = make_api(workspace, db_url)
    check(api.generate_assignment(assignment, force=True, create=True), f"generate {assignment}")
    return api
