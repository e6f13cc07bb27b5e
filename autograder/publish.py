"""``dlcourse publish --check``: do the links students click lead somewhere, on the real remote?

Every lecture and released assignment has a Colab badge (repository, branch, path) and a setup block
that pip-installs the course helpers (repository at a ref). Both only work once the instructor has
pushed: this asks the remote itself with ``git ls-remote`` and a shallow, blob-less fetch of each
ref's file list, and reports each problem in one line that says what to run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections import defaultdict
from dataclasses import dataclass

from .badges import BADGE, COLAB_BLOCK, INSTALL_TARGET, badge_url, colab_block, settings
from .course import Course

BADGE_PARTS = re.compile(r"colab\.research\.google\.com/github/(?P<repo>[^/]+/[^/]+)/blob/(?P<ref>[^/]+)/(?P<path>.+)")
GIT_TIMEOUT_S = 120
# Files without which pip cannot build the course helpers from a ref.
PACKAGE_FILES = ("pyproject.toml", "course_utils/__init__.py")


@dataclass(frozen=True)
class Link:
    notebook: str  # where it is written, relative to the course root
    kind: str  # "badge" | "install"
    repo: str  # https://github.com/owner/name
    ref: str
    path: str = ""  # the notebook a badge opens


def _git(*args: str) -> subprocess.CompletedProcess:
    # Never wait for a password: a missing or private GitHub repository asks for one.
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}
    return subprocess.run(["git", *args], capture_output=True, text=True, env=env, timeout=GIT_TIMEOUT_S)


def _why(proc: subprocess.CompletedProcess) -> str:
    lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
    fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:", "ERROR:"))]
    return (fatal or lines or [f"git exited with {proc.returncode}"])[0]


def student_notebooks(course: Course):
    yield from sorted((course.root / "notebooks").glob("*.ipynb"))
    yield from sorted(course.release.glob("*/*.ipynb"))


def links(course: Course) -> tuple[list[Link], list[str]]:
    """Every badge and install target students can click or run, and the notebooks out of date with
    ``[tool.dlcourse]`` (which `dlcourse badges` fixes)."""
    cfg = settings(course)
    found, stale = [], []
    for path in student_notebooks(course):
        rel = path.relative_to(course.root).as_posix()
        cells = json.loads(path.read_text())["cells"]
        first = "".join(cells[0]["source"]) if cells else ""
        setup = next(("".join(c["source"]) for c in cells if c["cell_type"] == "code"), "")
        for url in BADGE.findall(first):
            m = BADGE_PARTS.search(url)
            if m:
                found.append(Link(rel, "badge", f"https://github.com/{m['repo']}", m["ref"], m["path"]))
        target = INSTALL_TARGET.search(setup)
        if target:
            repo, _, ref = target["target"].removeprefix("git+").rpartition("@")
            found.append(Link(rel, "install", repo, ref))
        block = COLAB_BLOCK.match(setup)
        if badge_url(cfg, rel) not in first or not block or block.group(0) != colab_block(cfg):
            stale.append(rel)
    return found, stale


def _refs(repo: str) -> tuple[dict[str, str], str | None]:
    """{branch or tag name: commit} on the remote, or the reason it could not be read."""
    proc = _git("ls-remote", "--heads", "--tags", repo)
    if proc.returncode:
        return {}, _why(proc)
    refs = {}
    for line in proc.stdout.splitlines():
        sha, _, name = line.partition("\t")
        short = name.removeprefix("refs/heads/").removeprefix("refs/tags/").removesuffix("^{}")
        refs[short] = sha  # a tag's peeled line (^{}) comes last and names the commit
    return refs, None


def _files(repo: str, ref: str) -> set[str] | str:
    """The paths at ``ref`` of ``repo`` (a shallow fetch without file contents), or why not."""
    with tempfile.TemporaryDirectory(prefix="dlcourse-publish-") as tmp:
        init = _git("init", "--quiet", "--bare", tmp)
        if init.returncode:
            return _why(init)
        fetch = _git("-C", tmp, "fetch", "--quiet", "--depth=1", "--filter=blob:none", repo, ref)
        if fetch.returncode:
            return _why(fetch)
        tree = _git("-C", tmp, "ls-tree", "-r", "--name-only", "FETCH_HEAD")
        return set(tree.stdout.splitlines()) if not tree.returncode else _why(tree)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def check(course: Course) -> tuple[list[str], str]:
    """(problems, one line each, saying what to run; the summary when there are none)."""
    found, stale = links(course)
    problems = []
    if stale:
        problems.append(f"{_plural(len(stale), 'notebook')} ({stale[0]}{', ...' if len(stale) > 1 else ''}) "
                        "do not match [tool.dlcourse] in pyproject.toml: run `dlcourse badges`, commit and push")
    by_repo: dict[str, list[Link]] = defaultdict(list)
    for link in found:
        by_repo[link.repo].append(link)
    resolved = []
    for repo, repo_links in by_repo.items():
        refs, why = _refs(repo)
        if why:
            problems.append(f"cannot read {repo} ({why}): create the repository and push the course to it, "
                            "or set `repository` under [tool.dlcourse] in pyproject.toml")
            continue
        by_ref: dict[str, list[Link]] = defaultdict(list)
        for link in repo_links:
            by_ref[link.ref].append(link)
        for ref, ref_links in sorted(by_ref.items()):
            if ref not in refs:
                what = ", ".join(_plural(sum(1 for x in ref_links if x.kind == k), k)
                                 for k in ("badge", "install") if any(x.kind == k for x in ref_links))
                problems.append(f"{repo} has no branch or tag {ref!r} ({what} point at it): push it "
                                f"(git push origin HEAD:{ref}) or set `branch` under [tool.dlcourse]")
                continue
            files = _files(repo, ref)
            if isinstance(files, str):
                problems.append(f"cannot list the files of {repo} at {ref} ({files}): check access to it")
                continue
            missing = sorted({x.path for x in ref_links if x.kind == "badge" and x.path not in files})
            if missing:
                problems.append(f"{_plural(len(missing), 'notebook')} ({missing[0]}"
                                f"{', ...' if len(missing) > 1 else ''}) not on {ref} of {repo}: "
                                f"commit and push them (git push origin HEAD:{ref})")
            if any(x.kind == "install" for x in ref_links) and not set(PACKAGE_FILES) <= files:
                problems.append(f"{repo} at {ref} lacks {' or '.join(PACKAGE_FILES)}, so pip cannot install "
                                "the course helpers from it: push the whole course, not only the notebooks")
            resolved.append(f"{repo}@{ref} ({refs[ref][:10]})")
    badges = sum(1 for x in found if x.kind == "badge")
    installs = sum(1 for x in found if x.kind == "install")
    summary = (f"{_plural(badges, 'Colab badge')} and {_plural(installs, 'install target')} resolve on "
               f"{', '.join(resolved)}.")
    return problems, summary
