"""Hostile submission folders: links, FIFOs, devices, sockets, huge or deeply nested files. Each one
becomes that submission's one-line problem; discover() never raises, hangs or reads another file."""

import hashlib
import json
import os
import shutil
import signal
import socket
import stat
import time
from contextlib import contextmanager

import nbformat
import pytest
from helpers import ROOT

from autograder import submissions_io, untrusted_file
from autograder.errors import CourseError
from autograder.submissions_io import discover, read_notebook_problem

PERFECT = ROOT / "autograder" / "submissions" / "perfect" / "hw0" / "hw0.ipynb"
NB = "hw0.ipynb"


@contextmanager
def no_hang(seconds=20):
    """Fails the test instead of hanging forever when something opens a FIFO and blocks."""
    def boom(*_):
        raise TimeoutError(f"blocked for more than {seconds} s (a FIFO opened without O_NONBLOCK?)")

    old = signal.signal(signal.SIGALRM, boom)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def student(root, name="alice"):
    folder = root / name / "hw0"
    folder.mkdir(parents=True)
    return folder


def one(root, name="alice"):
    with no_hang():
        subs = {s.student_id: s for s in discover(root, "hw0", [NB])}
    return subs[name]


def test_a_good_notebook_is_parsed_once_and_digested(tmp_path):
    shutil.copy(PERFECT, student(tmp_path) / NB)
    sub = one(tmp_path)
    assert sub.problems == [] and sub.folder == tmp_path / "alice" / "hw0"
    assert sub.digest == hashlib.sha256(PERFECT.read_bytes()).hexdigest()
    assert sub.notebook == nbformat.reads(PERFECT.read_text(), as_version=4)
    assert sub.notebook["nbformat"] == 4


def test_an_old_format_notebook_is_converted_to_v4(tmp_path):
    v3 = nbformat.writes(nbformat.convert(nbformat.reads(PERFECT.read_text(), as_version=4), 3))
    (student(tmp_path) / NB).write_text(v3)
    sub = one(tmp_path)
    assert sub.problems == [] and sub.notebook["nbformat"] == 4


def test_a_symlinked_notebook_is_refused_and_not_followed(tmp_path):
    (student(tmp_path) / NB).symlink_to(PERFECT)
    sub = one(tmp_path)
    assert sub.problems == ["hw0.ipynb is a symbolic link; submit the notebook file itself"]
    assert sub.notebook is None


def test_a_symlinked_student_or_assignment_folder_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(PERFECT.parent, elsewhere / "hw0")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "mallory").symlink_to(elsewhere)
    (subs / "eve").mkdir()
    (subs / "eve" / "hw0").symlink_to(elsewhere / "hw0")
    shutil.copy(PERFECT, student(subs, "bob") / NB)
    mallory, eve = one(subs, "mallory"), one(subs, "eve")
    assert "mallory is a symbolic link" in mallory.problems[0] and mallory.notebook is None
    assert mallory.folder is None
    assert eve.problems == ["eve/hw0 is a symbolic link; submit the hw0 folder itself"] and eve.notebook is None
    assert one(subs, "bob").problems == []


def test_only_symlinked_folders_still_give_rows_not_an_error(tmp_path):
    (tmp_path / "elsewhere" / "hw0").mkdir(parents=True)
    subs = tmp_path / "subs"
    (subs / "eve").mkdir(parents=True)
    (subs / "eve" / "hw0").symlink_to(tmp_path / "elsewhere" / "hw0")
    assert "symbolic link" in one(subs, "eve").problems[0]


def test_a_fifo_never_hangs_the_grader(tmp_path):
    os.mkfifo(student(tmp_path) / NB)
    sub = one(tmp_path)
    assert sub.problems == ["hw0.ipynb is a named pipe (FIFO); submit the notebook file itself"]
    with no_hang():
        assert "named pipe" in read_notebook_problem(tmp_path / "alice" / "hw0" / NB)


def test_fifo_opened_after_the_check_does_not_block(tmp_path, monkeypatch):
    """A regular file swapped for a FIFO between the lstat and the open: O_NONBLOCK + fstat."""
    folder = student(tmp_path)
    os.mkfifo(folder / NB)
    real_stat = os.stat

    def lie(path, *a, **kw):  # the first look sees a regular file
        st = real_stat(path, *a, **kw)
        if path == NB:
            return os.stat_result((stat.S_IFREG | 0o644, *tuple(st)[1:]))
        return st

    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        monkeypatch.setattr(os, "stat", lie)
        with no_hang():
            loaded = untrusted_file.load_notebook(NB, fd)
    finally:
        monkeypatch.undo()
        os.close(fd)
    assert loaded.problem == "hw0.ipynb is a named pipe (FIFO); submit the notebook file itself"


def test_a_folder_named_like_the_notebook_is_refused(tmp_path):
    (student(tmp_path) / NB).mkdir()
    assert one(tmp_path).problems == ["hw0.ipynb is a folder; submit the notebook file itself"]


def test_a_socket_is_refused(tmp_path):
    folder = student(tmp_path)
    cwd = os.getcwd()
    os.chdir(folder)  # AF_UNIX paths are limited to ~100 bytes: bind a relative name
    try:
        with socket.socket(socket.AF_UNIX) as s:
            s.bind(NB)
            assert one(tmp_path).problems == ["hw0.ipynb is a socket; submit the notebook file itself"]
    finally:
        os.chdir(cwd)


def test_a_device_is_refused_without_being_opened(tmp_path):
    try:
        os.mknod(student(tmp_path) / NB, stat.S_IFCHR | 0o644, os.makedev(1, 5))  # /dev/zero
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")
    assert one(tmp_path).problems == ["hw0.ipynb is a character device; submit the notebook file itself"]


def test_an_oversized_notebook_is_refused_without_reading_it(tmp_path):
    with open(student(tmp_path) / NB, "wb") as f:
        f.truncate(untrusted_file.MAX_BYTES + 1)  # sparse: costs no disk
    problem = one(tmp_path).problems[0]
    assert problem.startswith("hw0.ipynb is 32.0 MiB, over the 32.0 MiB a notebook may be; clear all outputs")


def test_deep_nesting_is_refused_before_json_can_recurse(tmp_path):
    deep = '{"cells": ' + "[" * 200_000 + "]" * 200_000 + ', "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    (student(tmp_path) / NB).write_text(deep)
    sub = one(tmp_path)
    assert sub.problems == ["hw0.ipynb nests JSON more than 64 levels deep, which no notebook does; submit the "
                            "notebook as Jupyter saved it"]
    (tmp_path / "alice" / "hw0" / NB).write_text("[" * 500_000)  # unterminated, too: no RecursionError
    assert "more than 64 levels" in one(tmp_path).problems[0]


def test_brackets_inside_strings_are_not_nesting(tmp_path):
    nb = json.loads(PERFECT.read_text())
    text = "[[[{{{" * 10_000 + '\\"]]"'
    nb["cells"].append({"cell_type": "markdown", "id": "deep-text", "metadata": {}, "source": text})
    (student(tmp_path) / NB).write_text(json.dumps(nb))
    assert one(tmp_path).problems == []


def test_depth_scan_is_linear_on_hostile_quotes():
    started = time.monotonic()
    for text in ('"\\"' * 2_000_000, '"' + "\\" * 4_000_000, '["' * 2_000_000):
        untrusted_file.json_depth(text)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(("content", "reason"), [
    (b"\xff\xfe garbage", "is not a text file"),
    (b'{"cells": [', "is not valid JSON (line 1"),
    (b'{"cells": [], "n": ' + b"9" * 50_000 + b"}", "is not valid JSON"),  # int too long to convert
    (b'{"cells": [], "x": "\\ud800"}', "not valid Unicode"),
    (b'[1, 2]', "is JSON but not a Jupyter notebook"),
    (b'{"cells": "nope", "nbformat": 4, "nbformat_minor": 5, "metadata": {}}', "is not a valid notebook"),
])
def test_bad_content_is_a_problem_not_an_exception(tmp_path, content, reason):
    (student(tmp_path) / NB).write_bytes(content)
    sub = one(tmp_path)
    assert len(sub.problems) == 1 and reason in sub.problems[0], sub.problems
    assert sub.notebook is None and sub.digest == hashlib.sha256(content).hexdigest()


def test_only_the_expected_notebook_is_ever_opened(tmp_path):
    folder = student(tmp_path)
    shutil.copy(PERFECT, folder / NB)
    os.mkfifo(folder / "scratch.ipynb")  # an extra notebook that would block a reader
    os.mkfifo(folder / "notes.txt")
    (folder / "data").symlink_to("/etc")
    sub = one(tmp_path)
    assert sub.problems == [] and sub.notes == ["ignored extra notebooks: scratch.ipynb"]
    assert sub.notebook is not None


def test_any_failure_while_reading_stays_with_that_submission(tmp_path, monkeypatch):
    shutil.copy(PERFECT, student(tmp_path, "alice") / NB)
    shutil.copy(PERFECT, student(tmp_path, "bob") / NB)
    real = submissions_io.load_notebook

    def explode(name, fd):
        if os.path.samefile(f"/proc/self/fd/{fd}", tmp_path / "alice" / "hw0"):
            raise MemoryError("pretend")
        return real(name, fd)

    monkeypatch.setattr(submissions_io, "load_notebook", explode)
    alice, bob = one(tmp_path, "alice"), one(tmp_path, "bob")
    assert alice.problems == ["alice/hw0 could not be read (MemoryError: pretend)"] and alice.notebook is None
    assert bob.problems == [] and bob.notebook is not None
    monkeypatch.setattr(untrusted_file, "parse_notebook", lambda *a: 1 / 0)
    assert "could not be read (ZeroDivisionError" in untrusted_file.load_notebook(str(PERFECT)).problem


def test_existing_messages_are_kept(tmp_path):
    shutil.copy(PERFECT, student(tmp_path, "renamed") / "hw0 (1).ipynb")
    (tmp_path / "wrong" / "hw9").mkdir(parents=True)
    shutil.copy(PERFECT, student(tmp_path, "colab") / NB)
    shutil.copy(PERFECT, tmp_path / "colab" / "hw0" / "scratch.ipynb")
    (tmp_path / "stray.zip").write_bytes(b"PK")  # files next to the student folders are not students
    subs = {s.student_id: s for s in discover(tmp_path, "hw0", [NB])}
    assert sorted(subs) == ["colab", "renamed", "wrong"]
    assert subs["renamed"].problems == ["no expected notebook found (expected hw0.ipynb; found hw0 (1).ipynb)"]
    assert subs["renamed"].notes == ["hw0.ipynb is missing (found hw0 (1).ipynb)",
                                     "ignored extra notebooks: hw0 (1).ipynb"]
    assert subs["wrong"].problems == ["nothing submitted for hw0 (no wrong/hw0/ folder)"]
    assert subs["colab"].notes == ["ignored extra notebooks: scratch.ipynb"]


def test_folder_level_errors_are_still_course_errors(tmp_path):
    with pytest.raises(CourseError, match="does not exist"):
        discover(tmp_path / "missing", "hw0", [NB])
    with pytest.raises(CourseError, match="is empty"):
        discover(tmp_path, "hw0", [NB])
    (tmp_path / "alice" / "hw9").mkdir(parents=True)
    with pytest.raises(CourseError, match=r"no <student_id>/hw0/ folder \(found assignment folders: hw9\)"):
        discover(tmp_path, "hw0", [NB])


def test_a_folder_name_that_is_not_utf8_gets_a_printable_row(tmp_path):
    raw = os.fsencode(tmp_path) + b"/bad\xff name"
    os.makedirs(raw + b"/hw0")
    shutil.copy(PERFECT, os.fsdecode(raw + b"/hw0/hw0.ipynb"))
    shutil.copy(PERFECT, student(tmp_path, "bob") / NB)
    subs = {s.student_id: s for s in discover(tmp_path, "hw0", [NB])}
    assert sorted(subs) == ["bad\\xff name", "bob"]
    bad = subs["bad\\xff name"]
    assert bad.problems == ["the folder name bad\\xff name is not valid UTF-8; rename the student's folder and "
                            "grade again"] and bad.notebook is None
    bad.student_id.encode("utf-8")  # grades.csv can hold it
