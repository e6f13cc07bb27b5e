"""Reveal.js slide decks from executed lecture notebooks (`make site` writes build/site/slides/).

The notebooks carry no slide metadata, and we do not edit them: slide types are assigned when the
deck is built, by this rule (a cell that already has ``metadata.slideshow.slide_type`` keeps it):

1. A markdown cell that starts with a ``#`` or ``##`` heading starts a new slide; one that starts with
   ``###`` (or deeper) starts a sub-slide (reveal.js's vertical stack under the section's slide).
2. Every other cell continues the current slide while it fits, and otherwise starts a sub-slide of its
   own. "Fits" is an estimate in lines of text: a slide holds about ``SLIDE_LINES`` (markdown wraps at
   about 90 characters, a heading counts double, a display equation 2, a figure ``FIGURE_LINES``,
   printed text at most ``OUTPUT_LINES`` since long output scrolls inside its slide).
3. Code cells of at most ``CODE_LINES`` lines are shown with their outputs. Longer code stays on the
   lecture page only: on the slide we show its outputs (figures, printed results and targets) without
   the code, and a long cell with no output is skipped.
4. A markdown cell taller than a slide is split at its blank lines (never inside a code fence or a
   ``$$`` equation) and the pieces follow rule 2.
5. Figures therefore always reach a slide, derivations (markdown with LaTeX) always do, and the
   Colab set-up cell (tagged ``parameters``), the Colab badge and stderr output are left out.

Usage: ``python tools/slides.py NOTEBOOK.ipynb OUT.slides.html`` (tools/site_build.py calls
:func:`export`).
"""

from __future__ import annotations

import copy
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "site" / "templates"
CODE_LINES = 15
SLIDE_LINES = 22
FIGURE_LINES = 14
OUTPUT_LINES = 10
SITE_LINKS_TAG = "dlcourse-site-links"  # the links cell tools/site_build.py adds to a page: not on slides


def _heading_level(source: str) -> int:
    for line in source.splitlines():
        if line.strip():
            m = re.match(r"^(#{1,6})\s", line)
            return len(m.group(1)) if m else 0
    return 0


def _markdown_lines(source: str) -> int:
    lines = 0
    in_math = False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.count("$$") % 2 == 1:
            in_math = not in_math
        if stripped.startswith("#"):
            lines += 2
        elif stripped:
            lines += 1 if in_math or stripped.startswith("$$") else math.ceil(len(line) / 90)
    return max(lines, 1)


def _output_lines(outputs: list) -> int:
    lines = 0
    for out in outputs:
        if out.get("output_type") == "stream":
            lines += min(out.get("text", "").count("\n") + 1, OUTPUT_LINES)
        elif out.get("output_type") in ("display_data", "execute_result"):
            data = out.get("data", {})
            if any(k.startswith("image/") for k in data):
                lines += FIGURE_LINES
            else:
                text = data.get("text/markdown") or data.get("text/plain") or ""
                lines += min(str(text).count("\n") + 1, OUTPUT_LINES)
        elif out.get("output_type") == "error":
            lines += OUTPUT_LINES
    return lines


BADGE_LINE = re.compile(r"^\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)[ \t]*\n?", re.M)


def _paragraphs(source: str) -> list[str]:
    """Split markdown at blank lines, never inside a code fence or a $$ display equation."""
    parts, current, fence, math_open = [], [], False, False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fence = not fence
        elif not fence and stripped.count("$$") % 2 == 1:
            math_open = not math_open
        if not stripped and not fence and not math_open:
            if current:
                parts.append("\n".join(current))
                current = []
            continue
        current.append(line)
    if current:
        parts.append("\n".join(current))
    return parts or [source]


def _split_long_markdown(nb) -> None:
    """A markdown cell taller than a slide becomes one cell per paragraph (the rule then groups them)."""
    cells = []
    for cell in nb.cells:
        if (cell.cell_type != "markdown" or "slide_type" in cell.get("metadata", {}).get("slideshow", {})
                or _markdown_lines(cell.source) <= SLIDE_LINES):
            cells.append(cell)
            continue
        for k, part in enumerate(_paragraphs(cell.source)):
            piece = copy.deepcopy(cell)
            piece.source = part
            if "id" in piece:
                piece["id"] = f"{cell['id']}-{k}"[:64]
            cells.append(piece)
    nb.cells = cells


def assign_slide_types(nb):
    """A copy of `nb` with ``metadata.slideshow.slide_type`` set on every cell by the rule above."""
    nb = copy.deepcopy(nb)
    if nb.cells and nb.cells[0].cell_type == "markdown":  # the Colab badge: a link for notebooks, not slides
        nb.cells[0].source = BADGE_LINE.sub("", nb.cells[0].source, count=1).lstrip("\n")
    _split_long_markdown(nb)
    used = SLIDE_LINES  # nothing open yet: the first cell starts a slide
    first = True
    for cell in nb.cells:
        meta = cell.setdefault("metadata", {})
        tags = set(meta.get("tags", []))
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if o.get("name") != "stderr"]
        if "slide_type" in meta.get("slideshow", {}):  # the author's choice wins
            kind = meta["slideshow"]["slide_type"]
            used = 0 if kind in ("slide", "subslide") else used
            continue
        if SITE_LINKS_TAG in tags or "parameters" in tags or cell.cell_type == "raw":
            kind = "skip"
        elif cell.cell_type == "markdown":
            level = _heading_level(cell.source)
            size = _markdown_lines(cell.source)
            if first or level in (1, 2):
                kind = "slide"
            elif level >= 3 or used + size > SLIDE_LINES:
                kind = "subslide"
            else:
                kind = "-"
            used = size if kind != "-" else used + size
        else:
            n_code = len(cell.source.splitlines())
            long_code = n_code > CODE_LINES
            out_size = _output_lines(cell.outputs)
            if long_code:
                meta.setdefault("transient", {})["remove_source"] = True  # nbconvert leaves the input out
            size = out_size + (0 if long_code else n_code)
            if size == 0:
                kind = "skip"
            elif used + size > SLIDE_LINES and used > 0:
                kind = "subslide"
                used = size
            else:
                kind = "-"
                used += size
        if kind != "skip":
            first = False
        meta["slideshow"] = {"slide_type": kind}
    return nb


def export(nb, out: Path, back_href: str, mathjax_url: str, reveal_prefix: str) -> int:
    """Write the deck of executed notebook `nb` to `out`; return the number of slides and sub-slides."""
    from nbconvert import SlidesExporter

    nb = assign_slide_types(nb)
    exporter = SlidesExporter(
        template_name="dlcourse_reveal",
        extra_template_basedirs=[str(TEMPLATES)],
        reveal_url_prefix=reveal_prefix,
        reveal_theme="white",
        reveal_transition="none",
        reveal_scroll=True,
        reveal_number="c/t",
        mathjax_url=mathjax_url,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(nb, resources={"dlcourse": {"back_href": back_href}})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(body, encoding="utf-8")
    return sum(1 for c in nb.cells if c.metadata.get("slideshow", {}).get("slide_type") in ("slide", "subslide"))


def main(argv: list[str]) -> int:
    import nbformat

    if len(argv) != 2:
        print(__doc__)
        return 2
    src, out = Path(argv[0]), Path(argv[1])
    n = export(nbformat.read(src, as_version=4), out, back_href="", reveal_prefix="reveal.js",
               mathjax_url="https://cdn.jsdelivr.net/npm/mathjax@2.7.9/MathJax.js?config=TeX-AMS_CHTML-full,Safe")
    print(f"{out}: {n} slides")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
