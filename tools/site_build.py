"""`make site`: the course website in build/site/ (Sphinx + myst-nb; configuration in site/conf.py).

Steps, each skipped when its inputs have not changed:

1. Executions (build/executed/, see tools/site_capture.py). A lecture whose executed copy carries the
   current execution key (code cells, course_utils, fast mode) is used as it is: `make test` writes
   these copies while nbval runs the notebooks, so after `make test` nothing is executed here. The
   others are executed with nbclient in fast mode, ``--jobs`` at a time (2), and written to the same
   cache. A lecture that fails to execute fails the build.
2. Sources (build/site-src/, written only where the content changed, so Sphinx rebuilds only those):
   the home page from README.md's course table, one page per lecture (the current notebook's markdown
   with the executed copy's outputs, plus a line of links: slides, Colab, download), the student
   version of each homework from release/ (never source/: no solutions, no hidden tests) with Colab
   and download links and *not* executed, and RESULTS.md. Downloads are the notebooks exactly as in
   the repository.
3. `sphinx-build` (incremental) into build/site/, with Sphinx's own offline search.
4. Slides: each lecture as a reveal.js deck, build/site/slides/<stem>.slides.html (tools/slides.py),
   with reveal.js (from the sphinx-revealjs wheel) and MathJax 2 (from jupyter-server-mathjax)
   copied into the site, so the site and its decks work with no network (open build/site/index.html).

Usage: python tools/site_build.py [--out build/site] [--jobs 2] [--clean] [--no-execute]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import site_capture  # noqa: E402
import slides  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
SRC = BUILD / "site-src"
CONF_DIR = ROOT / "site"
COLAB = "https://colab.research.google.com/github"
MATHJAX_QUERY = "MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"
# As `make test` runs the lectures, except matplotlib's backend: Jupyter's inline one, so figures are kept.
FAST_ENV = {"COURSE_FAST": "1", "TQDM_DISABLE": "1", "PYTHONHASHSEED": "0",
            "MPLBACKEND": site_capture.INLINE_BACKEND}


def log(msg: str) -> None:
    print(f"[site] {msg}", flush=True)


def shown(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def course_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["dlcourse"]


def colab_url(rel: str) -> str:
    cfg = course_config()
    repo = cfg["repository"].rstrip("/").removeprefix("https://github.com/")
    return f"{COLAB}/{repo}/blob/{cfg['branch']}/{rel}"


def lectures() -> list[Path]:
    return sorted(ROOT.glob("notebooks/[0-9][0-9]_*.ipynb"))


def homeworks() -> list[Path]:
    return sorted(ROOT.glob("release/hw*/hw*.ipynb"), key=lambda p: int(re.sub(r"\D", "", p.stem) or 0))


def write_if_changed(path: Path, data: str | bytes) -> bool:
    data = data.encode() if isinstance(data, str) else data
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


# --------------------------------------------------------------------------------------- executions
def _read(path: Path):
    import nbformat

    return nbformat.read(path, as_version=4)


def _execute_one(rel: str, nb, key: str) -> tuple[object, float]:
    """Run in a worker process: execute notebook `nb` (read from `rel`) in fast mode, write its copy."""
    from nbclient import NotebookClient

    os.environ.update(FAST_ENV)
    os.environ.pop("COURSE_RESULTS_DIR", None)  # the site's runs do not add to `make results`' figures
    start = time.time()
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str((ROOT / rel).parent)}})
    client.execute()
    for cell in nb.cells:  # nbclient leaves its own timing metadata; the page does not need it
        cell.get("metadata", {}).pop("execution", None)
    site_capture.write_executed(nb, rel, key, executed_by="site")
    return nb, time.time() - start


def _cached(path: Path, key: str):
    """The executed copy at `path` if its stamp is `key` (read once: a later rewrite cannot mix in)."""
    try:
        nb = _read(path)
    except (OSError, ValueError):
        return None
    stamp = nb.metadata.get("dlcourse_executed") or {}
    return nb if stamp.get("execution_key") == key else None


def ensure_executed(snapshot: dict, jobs: int, execute: bool = True) -> dict:
    """`snapshot`: {rel path: notebook as read once at the start}. Returns {rel: executed notebook}."""
    digest = site_capture.course_utils_digest()
    cache = site_capture.executed_dir()
    todo: dict[str, str] = {}
    found: dict = {}
    for rel, nb in snapshot.items():
        key = site_capture.execution_key(nb, digest, fast=True)
        cached = _cached(cache / rel, key)
        if cached is not None:
            found[rel] = cached
        else:
            todo[rel] = key
    log(f"executions: {len(found)} of {len(snapshot)} lectures cached in {shown(cache)}"
        + (f", executing {len(todo)} ({jobs} at a time)" if todo else ""))
    if todo and not execute:
        raise SystemExit(f"not executed (--no-execute): {', '.join(todo)}")
    if todo:
        failed = []
        with cf.ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
            futures = {pool.submit(_execute_one, rel, snapshot[rel], key): rel for rel, key in todo.items()}
            for fut in cf.as_completed(futures):
                rel = futures[fut]
                try:
                    found[rel], seconds = fut.result()
                    log(f"  executed {rel} in {seconds:.0f} s")
                except Exception as err:  # noqa: BLE001 - report every failing lecture, then fail
                    failed.append(f"{rel}: {type(err).__name__}: {str(err)[-1500:]}")
        if failed:
            raise SystemExit("lectures failed to execute in fast mode:\n" + "\n".join(failed))
    return found


def merged(current, executed):
    """The current notebook's cells with the executed copy's outputs (same code cells: same key)."""
    nb = copy.deepcopy(current)
    runs = [c for c in executed.cells if c.cell_type == "code"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    if [c.source for c in code] != [c.source for c in runs]:
        raise RuntimeError("the executed copy's code differs from the notebook's although their keys match")
    for cell, run in zip(code, runs):
        cell.outputs = run.outputs
        cell.execution_count = run.execution_count
    return nb


# ------------------------------------------------------------------------------------------ sources
BADGE_LOCAL = "/_assets/colab-badge.svg"  # MyST: a path from the source root; drawn in site/, offline
BADGE_LINE = re.compile(r"^\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)[ \t]*\n?", re.M)


def _links_cell(text: str):
    from nbformat.v4 import new_markdown_cell

    cell = new_markdown_cell(text)
    cell.metadata["tags"] = [slides.SITE_LINKS_TAG]
    cell["id"] = "dlcourse-site-links"
    return cell


def _page_notebook(nb, links: str):
    """The page's notebook: a line of links above the title, in place of the first cell's Colab badge."""
    import nbformat

    nb = copy.deepcopy(nb)
    nb.metadata.pop("dlcourse_executed", None)
    # The notebooks store only language_info.name; myst-nb needs the lexer to highlight the code.
    nb.metadata.setdefault("language_info", {}).setdefault("name", "python")
    nb.metadata["language_info"].setdefault("pygments_lexer", "ipython3")
    if nb.cells and nb.cells[0].cell_type == "markdown":
        nb.cells[0].source = BADGE_LINE.sub("", nb.cells[0].source, count=1).lstrip("\n")
    nb.cells.insert(0, _links_cell(links))
    return nbformat.writes(nb) + "\n"


def lecture_page(path: Path, current, executed) -> tuple[str, object]:
    rel = path.relative_to(ROOT).as_posix()
    nb = merged(current, executed)
    links = (f"[![Open in Colab]({BADGE_LOCAL})]({colab_url(rel)}) "
             f'<a class="dlcourse-slides" href="../slides/{path.stem}.slides.html">slides</a> · '
             f"{{download}}`download the notebook <{'/_files/' + rel}>` · "
             "outputs from a run in fast mode (CPU, small data; `COURSE_FAST=1`)")
    return _page_notebook(nb, links), nb


def homework_page(path: Path) -> str:
    rel = path.relative_to(ROOT).as_posix()
    name = path.stem
    links = (f"[![Open in Colab]({BADGE_LOCAL})]({colab_url(rel)}) **Student version:** "
             f"{{download}}`download {name}.ipynb <{'/_files/' + rel}>` · "
             "not executed here: the functions you write raise `NotImplementedError` until you fill them "
             f"in. Submit your completed `{name}.ipynb`.")
    return _page_notebook(_read(path), links)


def _link_hw(text: str) -> str:
    return re.sub(r"\bhw(\d+)\b", lambda m: f"[hw{m.group(1)}](release/hw{m.group(1)}/hw{m.group(1)}.ipynb)", text)


def home_page(stems: dict[str, str]) -> str:
    readme = (ROOT / "README.md").read_text()
    title = readme.splitlines()[0].lstrip("# ").strip()
    intro = readme.split("\n\n")[1].strip()
    lines = readme.splitlines()
    start = next((i for i, ln in enumerate(lines) if re.match(r"^\|\s*#\s*\|\s*lecture\s*\|", ln)), None)
    if start is None:
        raise SystemExit("README.md has no course table (a row '| # | lecture | ...'): the home page is made from it")
    table = []
    for ln in lines[start + 2:]:
        if not ln.startswith("|"):
            break
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", ln.strip().strip("|"))]  # an escaped \| stays
        num, lecture, assignment = cells[0], cells[1], " | ".join(cells[2:])
        stem = stems.get(num)
        if stem:
            lecture = f"[{lecture}](notebooks/{stem}.ipynb)"
            slides_link = f'<a href="slides/{stem}.slides.html">slides</a>'
        else:
            slides_link = ""
        table.append(f"| {num} | {lecture} | {slides_link} | {_link_hw(assignment)} |")
    hw_toc = "\n".join(f"release/{p.parent.name}/{p.stem}" for p in homeworks())
    nb_toc = "\n".join(f"notebooks/{s}" for s in stems.values())
    return f"""# {title}

{intro}

Each lecture page below shows the notebook run in fast mode (CPU, small data), with its figures and
the targets it measures and asserts; each also has a slide deck, an *Open in Colab* link and the
notebook to download. The homework pages show the student versions (`release/`), with Colab and
download links. Measured figures of every notebook are in [Results](RESULTS.md). This site works
offline: open `index.html` of a downloaded copy.

| # | lecture | slides | assignment (graded functions; written questions graded by hand) |
|---|---|---|---|
{chr(10).join(table)}

```{{toctree}}
:hidden:
:caption: Lectures

{nb_toc}
```

```{{toctree}}
:hidden:
:caption: Homework

{hw_toc}
```

```{{toctree}}
:hidden:
:caption: Results

RESULTS
```
"""


def results_page(stems: set[str]) -> str:
    text = (ROOT / "RESULTS.md").read_text()

    def page_link(m):  # the results table's notebook names link to their pages
        name = m.group(1)
        return f"| [`{name}`](notebooks/{name}.ipynb) |" if name in stems else m.group(0)

    text = re.sub(r"^\| `(\d\d_[A-Za-z0-9_]+)` \|", page_link, text, flags=re.M)
    cfg = course_config()
    blob = f"{cfg['repository'].rstrip('/')}/blob/{cfg['branch']}/"

    def repo_link(m):  # a link to a file of the repository (not a page of this site): GitHub
        target = m.group(2)
        if re.match(r"^[a-z]+:|^#|^notebooks/\d\d_", target):
            return m.group(0)
        return f"]({blob}{target})" if not target.startswith("/") else m.group(0)

    return re.sub(r"\]\((([^)\s]+))\)", repo_link, text)


def write_sources(snapshot: dict, raw: dict[str, bytes], executed: dict) -> tuple[list, int]:
    """Write build/site-src/; return (stem, merged notebook) per lecture and how many files changed."""
    changed = 0
    stems = {p.stem[:2]: p.stem for p in lectures()}
    decks = []
    keep = set()

    def put(rel: str, data):
        nonlocal changed
        keep.add(rel)
        changed += write_if_changed(SRC / rel, data)

    for path in lectures():
        rel = path.relative_to(ROOT).as_posix()
        page, nb = lecture_page(path, snapshot[rel], executed[rel])
        put(rel, page)
        put(f"_files/{rel}", raw[rel])
        decks.append((path.stem, nb))
    for path in homeworks():
        rel = path.relative_to(ROOT).as_posix()
        put(rel, homework_page(path))
        put(f"_files/{rel}", path.read_bytes())
    put("index.md", home_page(stems))
    put("RESULTS.md", results_page(set(stems.values())))
    put(BADGE_LOCAL.lstrip("/"), (CONF_DIR / "colab-badge.svg").read_bytes())
    for stale in [p for p in SRC.rglob("*") if p.is_file() and p.relative_to(SRC).as_posix() not in keep]:
        stale.unlink()  # a lecture or homework that was removed or renamed
        changed += 1
    return decks, changed


# -------------------------------------------------------------------------------------- sphinx, assets
def sphinx(out: Path, jobs: int) -> None:
    cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-c", str(CONF_DIR), "-j", str(jobs),
           "-d", str(BUILD / "site-doctrees"), str(SRC), str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    warnings = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    for ln in warnings[:40]:
        log(f"sphinx: {ln}")
    if proc.returncode != 0:
        raise SystemExit(f"sphinx-build failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")


def copy_tree(src: Path, dst: Path, skip=lambda p: False) -> None:
    for path in src.rglob("*"):
        rel = path.relative_to(src)
        if path.is_dir() or skip(rel):
            continue
        target = dst / rel
        if target.exists() and target.stat().st_size == path.stat().st_size:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def offline_assets(out: Path) -> None:
    import jupyter_server_mathjax
    import sphinx_revealjs

    mathjax = Path(jupyter_server_mathjax.__file__).parent / "static"
    copy_tree(mathjax, out / "_static" / "mathjax")
    reveal = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
    keep = ("LICENSE", "dist/reveal.js", "dist/reveal.css", "dist/reset.css", "dist/theme/", "plugin/notes/")
    copy_tree(reveal, out / "slides" / "reveal.js",
              skip=lambda rel: not rel.as_posix().startswith(keep) or rel.suffix == ".map")


def build_slides(decks: list[tuple[str, object]], out: Path) -> int:
    import nbconvert

    manifest_path = BUILD / "site-cache" / "slides.json"
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    tool = hashlib.sha256(Path(slides.__file__).read_bytes() + nbconvert.__version__.encode())
    for tpl in sorted(slides.TEMPLATES.rglob("*")):
        if tpl.is_file():
            tool.update(tpl.read_bytes())
    made = 0
    for stem, nb in decks:
        target = out / "slides" / f"{stem}.slides.html"
        key = hashlib.sha256(tool.hexdigest().encode() + json.dumps(nb, sort_keys=True).encode()).hexdigest()
        if manifest.get(stem) == key and target.exists():
            continue
        slides.export(nb, target, back_href=f"../notebooks/{stem}.html",
                      mathjax_url=f"../_static/mathjax/{MATHJAX_QUERY}", reveal_prefix="reveal.js")
        manifest[stem] = key
        made += 1
    write_if_changed(manifest_path, json.dumps(manifest, indent=1, sort_keys=True))
    return made


def build(out: Path, jobs: int, execute: bool = True) -> dict:
    t0 = time.time()
    # Each lecture is read once: what is executed, shown and offered for download is that one version,
    # even if someone edits a notebook while the site builds (the next build picks the edit up).
    import nbformat

    raw = {path.relative_to(ROOT).as_posix(): path.read_bytes() for path in lectures()}
    snapshot = {rel: nbformat.reads(data.decode(), as_version=4) for rel, data in raw.items()}
    executed = ensure_executed(snapshot, jobs, execute)
    t1 = time.time()
    decks, changed = write_sources(snapshot, raw, executed)
    log(f"sources: {changed} file(s) changed in {shown(SRC)}")
    sphinx(out, jobs)
    t2 = time.time()
    offline_assets(out)
    made = build_slides(decks, out)
    t3 = time.time()
    pages = len(list(out.rglob("*.html")))
    log(f"done: {shown(out)}/index.html, {pages} HTML files "
        f"({made} deck(s) rebuilt); executions {t1 - t0:.0f} s, sphinx {t2 - t1:.0f} s, slides {t3 - t2:.0f} s, "
        f"total {t3 - t0:.0f} s")
    return {"pages": pages, "seconds": t3 - t0, "decks_rebuilt": made}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=BUILD / "site")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "2")))
    ap.add_argument("--clean", action="store_true", help="remove the site, its sources and doctrees first "
                    "(not the executions in build/executed)")
    ap.add_argument("--no-execute", action="store_true", help="fail instead of executing uncached lectures")
    args = ap.parse_args(argv)
    out = args.out.resolve()
    if args.clean:
        for d in (out, SRC, BUILD / "site-doctrees", BUILD / "site-cache"):
            shutil.rmtree(d, ignore_errors=True)
    build(out, args.jobs, execute=not args.no_execute)
    return 0


if __name__ == "__main__":
    sys.exit(main())
