"""``dlcourse publish --check`` against a stand-in for GitHub (tests/standin_remote.py).

Each broken case (no repository, no branch, a missing tag, a notebook not pushed) must fail with one
line that says what to run; the course as it is in this work tree must pass.
"""

import pytest
from helpers import ROOT, dlcourse
from standin_remote import git, github_env, snapshot

N = len(list((ROOT / "notebooks").glob("*.ipynb"))) + len(list((ROOT / "release").glob("*/*.ipynb")))


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    return snapshot(tmp_path_factory.mktemp("publish"))


def _check(work, remotes):
    return dlcourse("publish", "--check", cwd=work, env=github_env(remotes))


def _one_line(proc) -> str:
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_the_course_as_pushed_resolves(standin):
    work, bare, commit = standin
    proc = _check(work, bare.parent.parent)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"publish check: {N} Colab badges and {N} install targets resolve on "
                                  "https://github.com/dl-first-principles/dl-first-principles@main")
    assert commit[:10] in proc.stdout


def test_a_missing_repository_is_one_line(standin, tmp_path):
    work, _, _ = standin
    line = _one_line(_check(work, tmp_path))  # nothing is served from an empty folder
    assert line.startswith("publish check: cannot read https://github.com/dl-first-principles/dl-first-principles")
    assert "create the repository" in line


def test_a_missing_branch_is_one_line(standin, tmp_path):
    work, bare, _ = standin
    other = tmp_path / bare.relative_to(bare.parent.parent)
    git("clone", "-q", "--bare", bare, other)
    git("branch", "-m", "main", "fall-2026", cwd=other)
    line = _one_line(_check(work, tmp_path))
    assert f"has no branch or tag 'main' ({N} badges, {N} installs point at it)" in line
    assert "git push origin HEAD:main" in line


def test_a_tag_is_checked_too_and_a_notebook_not_pushed_is_named(standin, tmp_path):
    work, bare, _ = standin
    course = tmp_path / "course"
    git("clone", "-q", work, course)
    pyproject = course / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('branch = "main"', 'branch = "v2.0"'))
    assert dlcourse("badges", cwd=course).returncode == 0
    assert dlcourse("release", "all", cwd=course).returncode == 0  # the badges of source/ reach release/
    git("commit", "-q", "-am", "point the course at v2.0", cwd=course)
    remotes = tmp_path / "remotes"
    mirror = remotes / bare.relative_to(bare.parent.parent)
    git("clone", "-q", "--bare", bare, mirror)
    assert "no branch or tag 'v2.0'" in _one_line(_check(course, remotes))

    git("rm", "-q", "-r", "release/hw6", cwd=course)
    git("commit", "-q", "-am", "v2.0 without hw6", cwd=course)
    git("push", "-q", mirror, "HEAD:refs/tags/v2.0", cwd=course)
    git("checkout", "-q", "HEAD~1", "--", "release/hw6", cwd=course)  # the instructor still has it locally
    line = _one_line(_check(course, remotes))
    assert "1 notebook (release/hw6/hw6.ipynb) not on v2.0" in line

    git("commit", "-q", "-am", "hw6 back", cwd=course)
    git("push", "-q", "-f", mirror, "HEAD:refs/tags/v2.0", cwd=course)
    assert _check(course, remotes).returncode == 0
