"""`make env` installs with uv from the package sources pip is configured with (tools/uv_install.py).

uv reads no pip configuration, so the script translates it; these tests give pip a configuration
through its environment variables and check the uv flags that come out. That `make env` builds the
same environment pip would is what every other test runs in.
"""

import sys

from helpers import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import uv_install  # noqa: E402


def test_pips_sources_become_uvs_flags(monkeypatch):
    monkeypatch.setenv("PIP_INDEX_URL", "https://mirror.example/simple")
    monkeypatch.setenv("PIP_EXTRA_INDEX_URL", "file:///srv/a/simple file:///srv/b/simple")
    monkeypatch.setenv("PIP_FIND_LINKS", "/srv/wheels")
    monkeypatch.setenv("PIP_CERT", "/srv/ca.pem")
    flags, env = uv_install.uv_flags(uv_install.pip_settings(sys.executable))
    pairs = list(zip(flags, flags[1:]))
    assert ("--index-url", "https://mirror.example/simple") in pairs
    extra = [b for a, b in pairs if a == "--extra-index-url"]
    assert extra == ["file:///srv/a/simple", "file:///srv/b/simple"]
    # the environment outranks any configuration file: only its find-links folder is passed
    assert [b for a, b in pairs if a == "--find-links"] == ["/srv/wheels"]
    assert ("--index-strategy", "unsafe-best-match") in pairs  # pip's rule: the best version from any index
    assert env == {"SSL_CERT_FILE": "/srv/ca.pem"}


def test_no_index_is_kept(monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    flags, _ = uv_install.uv_flags(uv_install.pip_settings(sys.executable))
    assert "--no-index" in flags


def test_a_missing_uv_is_named(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(uv_install.sys, "executable", str(tmp_path / "bin" / "python"))
    assert uv_install.main([sys.executable, "--dry-run", "pip"]) == 2
    missing = tmp_path / "bin" / "uv"
    assert f"{missing} is missing" in capsys.readouterr().err
