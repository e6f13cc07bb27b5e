"""A local git repository standing in for the course's GitHub repository.

``snapshot`` commits this working tree (tracked and new files, as `git status` sees them, so the
tests check what is about to be committed) to a bare repository at ``REMOTES/<owner>/<name>``;
``github_env`` makes every git (and pip's git) in a child process read https://github.com/... from
there, through git's own ``url.<base>.insteadOf``, set by environment so no user config changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from helpers import ROOT

from autograder.badges import settings
from autograder.course import Course

GIT_ID = {"GIT_AUTHOR_NAME": "Course Staff", "GIT_AUTHOR_EMAIL": "staff@example.org",
          "GIT_COMMITTER_NAME": "Course Staff", "GIT_COMMITTER_EMAIL": "staff@example.org"}


def git(*args, cwd=None) -> str:
    env = {**os.environ, **GIT_ID, "GIT_CONFIG_NOSYSTEM": "1"}
    return subprocess.run(["git", *map(str, args)], cwd=cwd, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def repo_path(remotes: Path) -> Path:
    owner_name = settings(Course(ROOT))["repository"].removeprefix("https://github.com/")
    return remotes / owner_name


def snapshot(dest: Path, branch: str = "main") -> tuple[Path, Path, str]:
    """(work tree copy, bare remote, commit): this checkout as it is now, pushed to a stand-in remote."""
    work = dest / "work"
    files = git("ls-files", "-co", "--exclude-standard", "-z", cwd=ROOT).split("\0")
    for rel in filter(None, files):
        src = ROOT / rel
        if src.is_file():  # a tracked file deleted in the work tree is not part of the snapshot
            (work / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, work / rel)
    git("init", "-q", "-b", branch, cwd=work)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "the course as it is in the work tree", cwd=work)
    bare = repo_path(dest / "remotes")
    bare.parent.mkdir(parents=True, exist_ok=True)
    git("clone", "-q", "--bare", work, bare)
    return work, bare, git("rev-parse", "HEAD", cwd=work)


def github_env(remotes: Path) -> dict[str, str]:
    return {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": f"url.file://{remotes}/.insteadOf",
            "GIT_CONFIG_VALUE_0": "https://github.com/"}
