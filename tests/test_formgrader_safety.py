"""A written answer cannot attack the human grader: rendered as formgrader renders it, no link or
image of a student's may point at javascript:, vbscript:, data: or any other non-web scheme, and
no raw HTML survives. Checked on the HTML that markdown renderers really produce, read the way a
browser reads it (entities decoded, tabs and newlines dropped, edges stripped, case folded)."""

import json
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from helpers import ROOT

from autograder import gradebook
from autograder.safe_markdown import ZWSP, neutralise

SAFE_SCHEMES = {"http", "https", "mailto"}
URL_ATTRS = {"href", "src", "xlink:href", "action", "formaction", "background", "poster", "cite", "data",
             "srcset", "lowsrc", "dynsrc", "ping", "longdesc", "manifest", "codebase", "icon"}
ACTIVE_TAGS = {"script", "iframe", "frame", "object", "embed", "img", "svg", "math", "form", "input", "button",
               "style", "link", "meta", "base", "video", "audio", "source", "image", "use"}
ATTACKS = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](java\nscript:alert(1))",
    "[x](\x01javascript:alert(1))",
    "[x]( \x00javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](javascript:alert(1) \"a title\")",
    "[x](javascript\\:alert(1))",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "[r]\n\n[r]: <javascript:alert(1)>",
    "[R][]\n\n[r]:\n  JavaScript:alert(1)\n  'title'",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x](vbscript:msgbox(1))",
    "[x](VBScript:msgbox(1))",
    "[x](file:///etc/passwd)",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript&#x3A;alert(1))",
    "[x](&#0000106&#0000097vascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](javascript&amp;colon;alert(1))",
    "[x](javascript&amp;amp;amp;amp;amp;colon;alert(1))",
    "[x](javascript&colon\\;alert(1))",
    "[x](javas&#99;ript:alert(1))",
    "[x](java&Tab;script:alert(1))",
    "[x](jav&NewLine;ascript:alert(1))",
    "[x](&#x26;#x6A;avascript:alert(1))",
    "[![i](javascript:alert(1))](javascript:alert(2))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "&lt;a href=\"javascript:alert(1)\"&gt;x&lt;/a&gt;",
    "<img src=x onerror=alert(1)>",
    "&lt;img src=x onerror=alert(1)&gt;",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<iframe src=\"javascript:alert(1)\"></iframe>",
    "<script>alert(1)</script>",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<details open ontoggle=alert(1)>",
]


class Collector(HTMLParser):
    """Every start tag and attribute; HTMLParser decodes entities in attribute values as browsers do."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v or "") for k, v in attrs]

    handle_startendtag = handle_starttag


def browser_scheme(url: str) -> str | None:
    """The scheme a browser's URL parser finds in an attribute value (WHATWG URL: strip leading and
    trailing C0 controls and spaces, remove tabs and newlines, then an ASCII scheme and a colon)."""
    url = re.sub(r"[\t\n\r]", "", url.strip("".join(map(chr, range(0x21)))))
    m = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", url)
    return m.group(1).lower() if m else None


def assert_harmless(page: str, where: str, handlers: bool = False):
    """``handlers``: event-handler attributes are allowed (formgrader's own page has onclick=)."""
    c = Collector()
    c.feed(page)
    c.close()
    for tag, name, value in c.attrs:
        assert handlers or not name.startswith("on"), f"{where}: event handler {name}= on <{tag}>"
        if name in URL_ATTRS:
            scheme = browser_scheme(value)
            assert scheme in SAFE_SCHEMES or scheme is None, f"{where}: <{tag} {name}={value!r}>"
    return c


def renderers():
    """The renderer formgrader uses (nbconvert's markdown2html, mistune), and markdown-it with raw
    HTML on, as a second opinion on how the same text parses."""
    from nbconvert.filters.markdown import markdown2html

    out = {"nbconvert": markdown2html}
    try:
        from markdown_it import MarkdownIt

        out["markdown-it"] = MarkdownIt("commonmark", {"html": True}).render
    except ImportError:
        pass
    return out


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("renderer", sorted(renderers()))
def test_no_dangerous_link_or_html_survives(attack, renderer):
    for text in (attack, f"Some answer first.\n\n{attack}\n\nAnd after.", f"- item {attack}"):
        c = assert_harmless(renderers()[renderer](neutralise(text)), f"{renderer} on {text!r}")
        assert not ACTIVE_TAGS & set(c.tags), (text, c.tags)


def test_the_check_itself_catches_the_attacks():
    """With only the HTML escaping written answers used to get, the same rendering and check find
    live javascript:/data:/vbscript: links: the test above does not pass by accident."""
    import html

    render = renderers()["nbconvert"]
    caught = []
    for attack in ATTACKS:
        try:
            assert_harmless(render(html.escape(attack, quote=False)), attack)
        except AssertionError:
            caught.append(attack)
    assert len(caught) >= 15, caught
    assert "[x](&#106;avascript:alert(1))" in caught and "[x](javascript&colon\\;alert(1))" in caught


def visible_text(page: str) -> str:
    return re.sub(r"<[^>]+>", "", page).replace(ZWSP, "").replace("&lt;", "<").replace("&gt;", ">") \
        .replace("&amp;", "&").strip()


def test_an_ordinary_answer_still_reads_the_same():
    answer = ("Answer: subtracting the max makes every exponent <= 0, so exp() cannot overflow; see "
              "[NumPy](https://numpy.org/doc/) or mail [me](mailto:a@b.c). Time 12:30, a &lt; b, &alpha;.")
    page = renderers()["nbconvert"](neutralise(answer))
    assert '<a href="https://numpy.org/doc/">NumPy</a>' in page
    assert '<a href="mailto:a@b.c">me</a>' in page
    assert visible_text(page) == ("Answer: subtracting the max makes every exponent <= 0, so exp() cannot "
                                  "overflow; see NumPy or mail me. Time 12:30, a < b, \u03b1.")


def test_neutralise_is_linear_on_hostile_input():
    import time

    started = time.monotonic()
    for text in ("a" * 2_000_000, "&amp;" * 400_000, "a:" * 1_000_000, "![" * 1_000_000):
        neutralise(text)
    assert time.monotonic() - started < 20


def test_formgrader_page_of_a_hostile_written_answer_is_harmless(tmp_path):
    """The real path: write_autograded() builds the notebook formgrader shows, and nbconvert's
    HTMLExporter renders it with formgrader's own 'formgrade' template, as the formgrader server does."""
    pytest.importorskip("nbgrader")
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers

    source = json.loads((ROOT / "source" / "hw0" / "hw0.ipynb").read_text())
    written = next(c["metadata"]["nbgrader"]["grade_id"] for c in source["cells"]
                   if c["cell_type"] == "markdown" and c["metadata"].get("nbgrader", {}).get("solution"))
    answer = "STUDENT-ANSWER-START\n\n" + "\n\n".join(ATTACKS) + "\n\nSTUDENT-ANSWER-END"
    plan = SimpleNamespace(items=[SimpleNamespace(kind="written", grade_id=written, student_text=answer)],
                           answer_sources={})
    gradebook.write_autograded(tmp_path, "hw0", "hw0.ipynb", "mallory", source, plan)
    nb_path = gradebook.formgrader_root(tmp_path) / "autograded" / "mallory" / "hw0" / "hw0.ipynb"
    exporter = HTMLExporter(template_name="formgrade", extra_template_basedirs=[handlers.template_path])
    resources = {"assignment_id": "hw0", "notebook_id": "hw0", "submission_id": "s1", "index": 0, "total": 1,
                 "base_url": "/base", "student": "mallory", "last_name": None, "first_name": None,
                 "notebook_path": "/base/notebooks/x.ipynb"}
    page, _ = exporter.from_filename(str(nb_path), resources=resources)
    start, end = page.index("STUDENT-ANSWER-START"), page.index("STUDENT-ANSWER-END")
    assert_harmless(page, "the formgrader page", handlers=True)
    c = assert_harmless(page[start:end], "the written answer")
    assert not ACTIVE_TAGS & set(c.tags), c.tags
    assert "<script>alert" not in page
