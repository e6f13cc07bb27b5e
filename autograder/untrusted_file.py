"""Reading one notebook a student sent, trusting nothing about the file.

A submissions folder usually comes out of an archive that students filled, so the notebook may be
a symbolic link (to the instructor's files), a FIFO (a grader that opens it blocks forever), a
device, a folder, a 10 GB file, or JSON nested deeply enough to make ``json.loads`` raise
RecursionError. Each of those becomes a one-line problem for that submission, never an exception
and never a hang. The file is opened once, without following links and without blocking, and
everything the grader needs later (the parsed notebook and the digest of its bytes) is kept, so
nothing reads the path again.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass
from itertools import accumulate

MAX_BYTES = 32 << 20  # far above any real notebook once outputs are cleared; bounds memory and time
MAX_DEPTH = 64  # nbformat v4 needs about 6 levels; json's C parser recurses once per level

_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
_KIND = {
    stat.S_IFDIR: "a folder",
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}
# A JSON string, or an unterminated one running to the end: the optional closing quote means a
# match never fails, so the scan stays linear on hostile input (no retry from every later quote).
_STRING = re.compile(r'"[^"\\]*(?:\\.?[^"\\]*)*"?', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class Refused(Exception):
    """The file cannot be a notebook; ``str()`` is the one-line reason shown to the instructor."""


@dataclass
class Loaded:
    notebook: dict | None  # nbformat v4, None when ``problem`` is set
    digest: str  # sha256 of the bytes read, '' when none could be read
    problem: str | None


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB"


def _check_kind(name: str, mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = _KIND.get(stat.S_IFMT(mode), "not a regular file")
        raise Refused(f"{name} is {kind}; submit the notebook file itself")


def _too_big(name: str, size: int) -> Refused:
    return Refused(f"{name} is {_mib(size)}, over the {_mib(MAX_BYTES)} a notebook may be; clear all outputs "
                   "(Edit > Clear All Outputs), save and submit again")


def read_regular(name: str, dir_fd: int | None = None) -> bytes:
    """The bytes of ``name`` (relative to ``dir_fd``) if it is a regular file of at most MAX_BYTES;
    raises :class:`Refused` otherwise. Checked before opening (opening a device can have effects)
    and again on the open descriptor, since the entry may be swapped in between."""
    _check_kind(name, os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    try:
        fd = os.open(name, _OPEN_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused(f"{name} is a symbolic link; submit the notebook file itself") from None
        raise
    try:
        st = os.fstat(fd)
        _check_kind(name, st.st_mode)
        if st.st_size > MAX_BYTES:
            raise _too_big(name, st.st_size)
        chunks, total = [], 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > MAX_BYTES:  # it grew after fstat
                raise _too_big(name, total)
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def json_depth(text: str) -> int:
    """An upper bound of the nesting depth ``json.loads`` would reach on ``text``: brackets outside
    strings, counted without recursion (so it is safe on any input)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    if len(brackets) <= MAX_DEPTH:
        return len(brackets)
    return max(accumulate(map(_STEP.__getitem__, brackets)))


def parse_notebook(name: str, raw: bytes) -> dict:
    """nbformat v4 from the bytes of a file; raises :class:`Refused` with the reason."""
    import warnings

    import nbformat
    from nbformat.warnings import DuplicateCellId, MissingIDFieldWarning

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Refused(f"{name} is not a text file (is it really a notebook?)") from None
    if json_depth(text) > MAX_DEPTH:
        raise Refused(f"{name} nests JSON more than {MAX_DEPTH} levels deep, which no notebook does; submit "
                      "the notebook as Jupyter saved it")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise Refused(f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                      "it may be truncated") from None
    except ValueError as exc:  # e.g. an integer too long to convert
        raise Refused(f"{name} is not valid JSON ({str(exc)[:120]}); submit the notebook as Jupyter saved it") \
            from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise Refused(f"{name} is JSON but not a Jupyter notebook (no cells)")
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise Refused(f"{name} holds text that is not valid Unicode (an unpaired \\u surrogate); save it "
                          "again with Jupyter and submit again") from None
    try:
        with warnings.catch_warnings():
            # Copies of cells share an id (nbformat renumbers them) and Colab's nbformat 4.0 has none:
            # both are normal in submissions, and one warning per cell per student buries the report.
            warnings.simplefilter("ignore", DuplicateCellId)
            warnings.simplefilter("ignore", MissingIDFieldWarning)
            nb = nbformat.reads(text, as_version=4)
            nbformat.validate(nb)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Refused(f"{name} is not a valid notebook: {first[:200]}") from None
    return nb


def load_notebook(name: str, dir_fd: int | None = None) -> Loaded:
    """Read and parse one submitted notebook; any failure is the returned ``problem``."""
    digest = ""
    try:
        raw = read_regular(name, dir_fd)
        digest = hashlib.sha256(raw).hexdigest()
        return Loaded(parse_notebook(name, raw), digest, None)
    except Refused as exc:
        return Loaded(None, digest, str(exc))
    except OSError as exc:
        return Loaded(None, digest, f"{name} could not be read ({exc.strerror or exc}); check that it is a plain, "
                                    "readable file and submit again")
    except Exception as exc:  # the file is hostile input: no failure may stop the batch
        return Loaded(None, digest, f"{name} could not be read ({type(exc).__name__}: {str(exc)[:120]}); "
                                    "submit the notebook as Jupyter saved it")
