"""The course website (`make site`, tools/site_build.py) and how it reuses `make test`'s executions.

- The capture plugin (tools/site_capture.py, loaded by conftest.py) writes what nbclient writes: the
  same nbformat outputs, in the same order, for the same notebook; a failed run leaves no copy.
- The slide rule of tools/slides.py.
- The built site, opened from the file system in headless Chromium (no server, no network): every
  lecture page shows a figure and its measured targets, every internal link and image resolves, no
  page loads anything from the network, search finds a term, every homework page is the student
  version with a Colab and a download link and none of source/'s solutions or hidden tests, and a
  slide deck opens with its slides. Screenshots go to build/test-artifacts/site/.

In `make test` this file runs after the notebooks (conftest.py leaves it out of that run), so the
build reuses the executions nbval just made and executes nothing.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest
from helpers import ROOT
from local_services import headless_chromium

sys.path.insert(0, str(ROOT / "tools"))
import site_build  # noqa: E402
import site_capture  # noqa: E402
import slides  # noqa: E402

pytest.importorskip("sphinx", reason="the site extra (pip install -e .[site]) builds the website")
pytest.importorskip("myst_nb", reason="the site extra (pip install -e .[site]) builds the website")

SITE = ROOT / "build" / "site"
ARTIFACTS = ROOT / "build" / "test-artifacts" / "site"
LECTURES = site_build.lectures()
HOMEWORK = site_build.homeworks()


# ------------------------------------------------------------------------------------------- capture
FIDELITY_CELLS = [
    "import sys\nimport matplotlib.pyplot as plt\nfrom IPython.display import Markdown, clear_output, display",
    'print("one", flush=True)\nprint("to stderr", file=sys.stderr, flush=True)\n'
    'print("two")\n_ = sys.stdout.write("three\\n")',
    'print("before the figure")\nplt.plot([0, 1, 4, 9])\nplt.title("squares")\nplt.show()\nprint("after the figure")',
    'display(Markdown("**TARGET** text"))\n{"a": 1, "b": [1, 2]}',
    'print("gone")\nclear_output(wait=True)\nprint("kept")',
    "x = 3  # no output",
    "x * 14",
]


def _notebook(cells: list[str], skip: int | None = None):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# A notebook")]
    for i, src in enumerate(cells):
        cell = nbformat.v4.new_code_cell(src)
        if i == skip:
            cell.metadata["tags"] = ["nbval-skip", "skip-execution"]
        nb.cells.append(cell)
    return nb


def _outputs(nb) -> list[list[dict]]:
    return [[dict(o) for o in c.outputs] for c in nb.cells if c.cell_type == "code"]


def test_capture_writes_the_outputs_nbclient_writes(tmp_path):
    from nbclient import NotebookClient

    cells = [*FIDELITY_CELLS, 'raise RuntimeError("never run")']
    nb = _notebook(cells, skip=len(cells) - 1)  # a skipped cell, as 07_detection_segmentation has
    failing = _notebook(['print("ok")', "1 / 0", 'print("after")'])
    nbformat.write(nb, tmp_path / "demo.ipynb")
    nbformat.write(failing, tmp_path / "failing.ipynb")
    out = tmp_path / "executed"
    env = {**os.environ, "DLCOURSE_EXECUTED_DIR": str(out), "PYTHONPATH": str(ROOT / "tools"),
           "COURSE_FAST": "1", "MPLBACKEND": "Agg"}  # Agg as `make test` exports: the plugin overrides it
    proc = subprocess.run([sys.executable, "-m", "pytest", "--noconftest", "-p", "site_capture", "--nbval-lax",
                           "-q", "-p", "no:cacheprovider", "demo.ipynb", "failing.ipynb"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert "1 failed" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert not (out / "failing.ipynb").exists(), "a notebook with a failing cell must leave no executed copy"

    captured = nbformat.read(out / "demo.ipynb", as_version=4)
    nbformat.validate(captured)
    stamp = captured.metadata["dlcourse_executed"]
    assert stamp["executed_by"] == "nbval"
    assert stamp["execution_key"] == site_capture.execution_key(nb, site_capture.course_utils_digest())

    reference = nbformat.read(tmp_path / "demo.ipynb", as_version=4)
    old = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = site_capture.INLINE_BACKEND
    try:
        NotebookClient(reference, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        os.environ.pop("MPLBACKEND") if old is None else os.environ.__setitem__("MPLBACKEND", old)

    got, want = _outputs(captured), _outputs(reference)
    assert got == want  # every output: type, stream name and text, every MIME type (image/png too), order
    assert [c.execution_count for c in captured.cells if c.cell_type == "code"] == \
        [c.execution_count for c in reference.cells if c.cell_type == "code"]
    figure = got[2]
    assert [o["output_type"] for o in figure] == ["stream", "display_data", "stream"]
    assert figure[1]["data"]["image/png"] and figure[0]["text"] == "before the figure\n"
    assert [o.get("name") for o in got[1]] == ["stdout", "stderr", "stdout"]  # interleaved, not merged
    assert got[1][2]["text"] == "two\nthree\n"
    assert got[4] == [{"output_type": "stream", "name": "stdout", "text": "kept\n"}]
    assert got[-1] == []  # the skipped cell ran nowhere


def test_conftest_loads_the_capture_plugin(request):
    assert request.config.pluginmanager.get_plugin("dlcourse_site_capture") is not None


# -------------------------------------------------------------------------------------------- slides
def test_slide_types_follow_the_documented_rule():
    long_code = "\n".join(f"x{i} = {i}" for i in range(slides.CODE_LINES + 5))
    nb = _notebook([
        "setup()",  # 0: tagged parameters below
        "print(1)",  # 1: short code with output
        long_code,  # 2: long code with a figure
        long_code,  # 3: long code without output
        "y = 2",  # 4: the author's own slide type
    ])
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[0].metadata["tags"] = ["parameters"]
    code[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="1\n")]
    code[2].outputs = [nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<F>"})]
    code[4].metadata["slideshow"] = {"slide_type": "fragment"}
    nb.cells[0].source = "[![Open In Colab](https://x/badge.svg)](https://x)\n\n# Title\n\nIntro."
    nb.cells[2:2] = [nbformat.v4.new_markdown_cell("## Section"), nbformat.v4.new_markdown_cell("### Detail")]
    out = slides.assign_slide_types(nb)
    kinds = [(c.cell_type, c.metadata["slideshow"]["slide_type"]) for c in out.cells]
    assert kinds[0] == ("markdown", "slide") and "Open In Colab" not in out.cells[0].source
    by_source = {c.source: c for c in out.cells}
    assert by_source["## Section"].metadata["slideshow"]["slide_type"] == "slide"
    assert by_source["### Detail"].metadata["slideshow"]["slide_type"] == "subslide"
    assert by_source["setup()"].metadata["slideshow"]["slide_type"] == "skip"
    assert by_source["print(1)"].metadata["slideshow"]["slide_type"] in ("-", "subslide")
    assert by_source["y = 2"].metadata["slideshow"]["slide_type"] == "fragment"
    long_cells = [c for c in out.cells if c.source == long_code]
    assert long_cells[0].metadata["transient"]["remove_source"] is True  # the figure stays, the code goes
    assert long_cells[0].metadata["slideshow"]["slide_type"] != "skip"
    assert long_cells[1].metadata["slideshow"]["slide_type"] == "skip"
    # a markdown cell taller than a slide is cut at blank lines, never inside an equation
    tall = "\n\n".join(["para " * 40] * 12 + ["$$\na\n\nb\n$$"])
    pieces = slides._paragraphs(tall)
    assert len(pieces) == 13 and pieces[-1] == "$$\na\n\nb\n$$"


# ------------------------------------------------------------------------------------------ the site
@pytest.fixture(scope="module")
def site():
    start = time.time()
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "site_build.py"), "--jobs", "2"], cwd=ROOT,
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    print(f"\nsite built in {time.time() - start:.0f} s:\n" + "\n".join(
        ln for ln in proc.stdout.splitlines() if ln.startswith("[site]")))
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return SITE


@pytest.fixture(scope="module")
def browser(site):
    with headless_chromium("dlcourse-site-chromium-", "1280,900") as driver:
        driver.set_page_load_timeout(60)
        yield driver


def _open(driver, path: Path):
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def _shot(driver, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / name))


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str, str]] = []  # (tag, attribute, value, rel)
        self.ids: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        for attr in ("href", "src"):
            if attrs.get(attr) and tag in ("a", "img", "link", "script", "source", "iframe"):
                self.refs.append((tag, attr, attrs[attr], attrs.get("rel") or ""))

    def handle_data(self, data):
        self.text.append(data)


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _words(text: str) -> str:
    return " ".join(text.split())


def _plain(path: Path) -> str:
    """What a file of the site says, as text: pages without their markup, notebooks as their cells."""
    if path.suffix == ".html":
        return _words("".join(_parse(path).text))
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        return _words("\n".join([c.source for c in nb.cells] + [json.dumps(c.get("outputs", [])) for c in nb.cells]))
    return _words(html.unescape(path.read_text(errors="replace")))


def test_every_lecture_page_shows_its_figures_and_targets(site, browser):
    from selenium.webdriver.common.by import By

    assert len(LECTURES) >= 14
    for lecture in LECTURES:
        page = site / "notebooks" / f"{lecture.stem}.html"
        _open(browser, page)
        figures = browser.execute_script(
            "return Array.from(document.querySelectorAll('.cell_output img'))"
            ".filter(i => i.complete && i.naturalWidth > 0).length")
        assert figures >= 1, f"{page.name}: no figure shown"
        text = browser.find_element(By.TAG_NAME, "main").text
        targets = re.findall(r"TARGET \[fast\] .*-> (PASS|FAIL)", text)
        assert targets and set(targets) == {"PASS"}, f"{page.name}: targets {targets}"
        colab = browser.find_elements(By.CSS_SELECTOR, f'a[href="{site_build.colab_url(f"notebooks/{lecture.name}")}"]')
        deck = browser.find_elements(By.CSS_SELECTOR, f'a[href="../slides/{lecture.stem}.slides.html"]')
        assert colab and deck, f"{page.name}: the Colab and slides links"
        _shot(browser, f"lecture-{lecture.stem}.png")


def test_no_internal_link_is_broken_and_nothing_comes_from_the_network(site):
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts)  # _static: theme templates
    parsed = {p: _parse(p) for p in pages}
    broken, remote = [], []
    for page, links in parsed.items():
        for tag, attr, value, rel in links.refs:
            url = urlsplit(value)
            if url.scheme in ("http", "https"):  # a link away (GitHub, Colab) is fine; loading a resource is not
                if tag != "a" and (tag != "link" or rel in ("stylesheet", "icon", "preload", "modulepreload")):
                    remote.append(f"{page.relative_to(site)}: <{tag} {attr}={value}>")
                continue
            if url.scheme or value == "#":
                continue  # mailto:, javascript:, data:
            target = (page.parent / unquote(url.path)).resolve() if url.path else page
            if not target.is_relative_to(site.resolve()) or not target.exists():
                broken.append(f"{page.relative_to(site)}: {tag} {attr}={value}")
            elif (url.fragment and tag == "a" and target in parsed
                  and not {url.fragment, unquote(url.fragment)} & parsed[target].ids):
                broken.append(f"{page.relative_to(site)}: {value} (no such anchor)")
    assert not broken, "\n".join(broken[:50])
    assert not remote, "loaded from the network, so the site would not work offline:\n" + "\n".join(remote[:50])
    index = parsed[site / "index.html"]
    linked = {v for _, _, v, _ in index.refs}
    for lecture in LECTURES:
        assert f"notebooks/{lecture.stem}.html" in linked and f"slides/{lecture.stem}.slides.html" in linked
    for hw in HOMEWORK:
        assert f"release/{hw.parent.name}/{hw.stem}.html" in linked
    assert "RESULTS.html" in linked
    print(f"\n{len(pages)} HTML files, {sum(len(p.refs) for p in parsed.values())} links and images checked")


def test_search_works_offline(site, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get((site / "search.html").as_uri() + "?q=backpropagation")
    WebDriverWait(browser, 60).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#search-results ul.search li"))
    hits = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "#search-results ul.search li a")]
    _shot(browser, "search-backpropagation.png")
    assert any("notebooks/04_autodiff" in h or "notebooks/01_history" in h for h in hits), hits


def _public_lines() -> str:
    """Every line the repository publishes: the lectures and the student versions of the homework."""
    return _words("\n".join(c.source for p in [*LECTURES, *HOMEWORK] for c in nbformat.read(p, as_version=4).cells))


def _secret_lines(hw: Path, public: str) -> list[str]:
    """Lines of source/'s solutions and hidden tests that nothing public contains."""
    source = nbformat.read(ROOT / "source" / hw.parent.name / hw.name, as_version=4)
    secret = []
    for cell in source.cells:
        inside = False
        for line in cell.source.splitlines():
            if re.search(r"BEGIN (SOLUTION|HIDDEN TESTS)", line):
                inside = True
            elif re.search(r"END (SOLUTION|HIDDEN TESTS)", line):
                inside = False
            elif inside and len(_words(line)) >= 16 and not line.lstrip().startswith("#"):
                if _words(line) not in public:
                    secret.append(_words(line))
    return secret


def test_homework_pages_are_the_student_versions(site, browser):
    from selenium.webdriver.common.by import By

    markers = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
    site_text = {p: _plain(p) for p in site.rglob("*") if p.is_file()
                 and p.suffix in (".html", ".js", ".ipynb", ".txt", ".json") and "_static" not in p.parts
                 and "reveal.js" not in p.parts}
    for path, text in site_text.items():
        assert not [m for m in markers if m in text], f"{path.relative_to(site)} has nbgrader solution markers"
    assert len(HOMEWORK) >= 7
    public = _public_lines()
    for hw in HOMEWORK:
        rel = hw.relative_to(ROOT).as_posix()
        page = site / "release" / hw.parent.name / f"{hw.stem}.html"
        _open(browser, page)
        colab = browser.find_elements(By.CSS_SELECTOR, f'a[href="{site_build.colab_url(rel)}"]')
        assert colab, f"{page.name}: no Colab link"
        downloads = [a.get_attribute("href") for a in browser.find_elements(By.CSS_SELECTOR, "a.download")
                     if a.get_attribute("href").endswith(f"/{hw.name}")]
        assert downloads, f"{page.name}: no download link"
        assert all(Path(unquote(urlsplit(d).path)).read_bytes() == hw.read_bytes() for d in downloads), \
            "the download is the release notebook, byte for byte"
        assert not browser.find_elements(By.CSS_SELECTOR, ".cell_output"), "homework pages are not executed"
        _shot(browser, f"homework-{hw.stem}.png")
        secret = _secret_lines(hw, public)
        assert len(secret) >= 5, f"{hw.stem}: found too few solution or hidden-test lines to look for"
        leaked = [(path.relative_to(site).as_posix(), line) for line in secret
                  for path, text in site_text.items() if line in text]
        assert not leaked, f"the site shows lines of source/{hw.parent.name}'s solutions or hidden tests: {leaked[:5]}"
        # and the check can see code: the page's own visible lines are found the same way
        visible = [_words(ln) for c in nbformat.read(hw, as_version=4).cells if c.cell_type == "code"
                   for ln in c.source.splitlines() if len(_words(ln)) >= 16]
        assert visible and all(v in site_text[page] for v in visible[:20]), f"{page.name}: code not found as text"


def test_a_slide_deck_opens_with_its_slides(site, browser):
    deck = site / "slides" / "06_cnn.slides.html"
    _open(browser, deck)
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return !!(window.Reveal && Reveal.isReady())"))
    total = browser.execute_script("return Reveal.getTotalSlides()")
    assert total > 5, total
    _shot(browser, "slides-06_cnn-first.png")
    # walk until a slide shows a figure; the formulas are typeset by the site's own MathJax
    seen_figure = seen_math = False
    for _ in range(total):
        browser.execute_script("Reveal.next()")
        time.sleep(0.3)
        seen_figure = seen_figure or browser.execute_script(
            "return Array.from(Reveal.getCurrentSlide().querySelectorAll('img'))"
            ".some(i => i.complete && i.naturalWidth > 0)")
        seen_math = seen_math or browser.execute_script(
            "return Reveal.getCurrentSlide().querySelectorAll('.MathJax, .MathJax_Display').length > 0")
        if seen_figure:
            _shot(browser, "slides-06_cnn-figure.png")
            break
    assert seen_figure, "no slide of 06_cnn shows a figure"
    assert seen_math, "no formula typeset on the slides before the first figure"
    for lecture in LECTURES:
        text = (site / "slides" / f"{lecture.stem}.slides.html").read_text()
        assert 'src="reveal.js/dist/reveal.js"' in text and "unpkg.com" not in text


def test_a_second_build_executes_nothing(site):
    snapshot = {p.relative_to(ROOT).as_posix(): nbformat.read(p, as_version=4) for p in LECTURES}
    executed = site_build.ensure_executed(snapshot, jobs=1, execute=False)  # raises if any is not cached
    by = {rel: nb.metadata["dlcourse_executed"]["executed_by"] for rel, nb in executed.items()}
    print("\nexecuted copies used by the site:", {k: sum(v == k for v in by.values()) for k in set(by.values())})
