"""Install into a venv with uv, from the package sources pip is configured to use.

    python tools/uv_install.py [--no-compile] VENV_PYTHON [uv pip install arguments ...]

``make env`` installs CI's pinned set this way: pip installs and byte-compiles ~200 wheels on one
core (76 s on a 2-core CI machine), uv does the same in parallel (30 s from a cold cache). uv does
not read pip's configuration, so this script does: the index URLs, find-links folders, a global
constraints file and a CA bundle that ``pip config list`` reports (environment variables included)
become uv's flags, and ``--index-strategy unsafe-best-match`` makes uv pick across all indexes the
way pip does (uv's default trusts only the first index that has a package). The result is the
environment pip would have built; the byte-compiling is kept because the grader's sandbox sees the
venv read-only and could not cache what an import compiles (``--no-compile`` leaves it out, for the
Colab simulation's venv, tests/test_colab_simulation.py).

uv must sit next to the Python that runs this script (``pip install uv`` into that venv first); it
installs into the venv of VENV_PYTHON, which may be another one.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

# pip's configuration scopes, lowest precedence first (pip config list prints them all).
SCOPES = ("global", "user", "site", ":env:")


def pip_settings(python: str) -> dict[str, str]:
    """key -> value of pip's configuration as this interpreter's pip sees it, highest scope winning."""
    listed = subprocess.run([python, "-m", "pip", "config", "list"], capture_output=True, text=True,
                            check=True).stdout
    found: dict[tuple[int, str], str] = {}
    for line in listed.splitlines():
        name, sep, raw = line.partition("=")
        scope, dot, key = name.rpartition(".")
        if not (sep and dot) or scope not in SCOPES:
            continue
        (value,) = shlex.split(raw) or [""]
        found[(SCOPES.index(scope), key)] = value
    return {key: value for (_, key), value in sorted(found.items())}


def uv_flags(settings: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """uv pip install flags and environment variables equivalent to pip's ``settings``."""
    flags = ["--index-strategy", "unsafe-best-match"]
    env = {}
    if settings.get("index-url"):
        flags += ["--index-url", settings["index-url"]]
    for url in settings.get("extra-index-url", "").split():
        flags += ["--extra-index-url", url]
    for folder in settings.get("find-links", "").split():
        flags += ["--find-links", folder]
    for path in settings.get("constraint", "").split():
        flags += ["--constraint", path]
    if settings.get("no-index", "").lower() in ("1", "true", "yes", "on"):
        flags.append("--no-index")
    if settings.get("cert"):
        env["SSL_CERT_FILE"] = settings["cert"]
    return flags, env


def main(argv: list[str]) -> int:
    compile_flags = ["--compile-bytecode"]
    if argv[:1] == ["--no-compile"]:
        compile_flags, argv = [], argv[1:]
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    python, args = argv[0], argv[1:]
    uv = Path(sys.executable).parent / "uv"
    if not uv.exists():
        print(f"uv_install: {uv} is missing: run `{sys.executable} -m pip install uv` first.", file=sys.stderr)
        return 2
    flags, env = uv_flags(pip_settings(python))
    cmd = [str(uv), "pip", "install", "--python", python, *compile_flags, *flags, *args]
    return subprocess.run(cmd, env={**os.environ, **env}).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
