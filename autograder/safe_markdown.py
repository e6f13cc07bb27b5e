"""A student's written answer made safe to render for a human grader (formgrader's markdown cells).

Formgrader renders markdown with raw HTML allowed and without sanitising link targets, so a written
answer can hold ``[click](javascript:...)`` that runs in the grader's logged-in session. Parsing the
markdown to rewrite each destination would have to agree with every renderer's quirks (mistune, as
nbconvert uses it, decodes entities twice; destinations may hide tabs, newlines, backslashes and
entities). Instead, whatever a renderer makes of the text, no URL in the result can carry a scheme
other than http, https or mailto, because:

* every ``&`` is followed by an invisible U+200B, so no renderer can decode an entity (``&colon;``,
  ``&#106;``, ``&amp;#58;``) into a character the text does not literally hold; entities are decoded
  here first (a few rounds), so ordinary ones still show as the character meant;
* every ``:`` that ends a scheme-like run of characters (letters, digits, ``+.-``, backslashes and the
  control characters a browser drops from URLs) whose cleaned, lowercased form is not an allowed
  scheme gets a U+200B just before it; a browser's URL parser then finds no scheme at all (U+200B
  is not a scheme character), so the link is relative and harmless;
* ``![`` gets a U+200B between its characters: images would load their URL by themselves (a remote
  tracker or a same-origin request); as a link the grader sees it and decides;
* finally the text is HTML-escaped, so raw HTML (``<script>``, ``<a href>``, ``<img onerror>``) stays text.

U+200B is invisible, so a grader reads the answer as written; maths keeps rendering.
"""

from __future__ import annotations

import html
import re

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
ZWSP = "\u200b"
ENTITY_ROUNDS = 4  # a bound: each round is linear, and a hostile answer can nest &amp;amp;... deeply
# The optional colon makes every run a match, so the scan is linear (a run that had to end in ':'
# would be retried from each of its characters).
_SCHEME_THEN_COLON = re.compile(r"[A-Za-z0-9+.\-\\\x00-\x1f\x7f]+:?")
_DROPPED_FROM_SCHEME = re.compile(r"[\\\x00-\x1f\x7f]")  # markdown escapes; what URL parsers strip


def _colon(m: re.Match) -> str:
    if not m.group().endswith(":"):
        return m.group()
    run = m.group()[:-1]
    scheme = _DROPPED_FROM_SCHEME.sub("", run).lower()
    return m.group() if scheme in ALLOWED_SCHEMES else run + ZWSP + ":"


def _decode_entities(text: str) -> str:
    for _ in range(ENTITY_ROUNDS):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return text


def neutralise(text: str) -> str:
    """Markdown that renders as ``text`` does, with no live link, image or HTML of a student's."""
    text = _decode_entities(text)
    text = text.replace("&", "&" + ZWSP)
    text = text.replace("![", "!" + ZWSP + "[")
    text = _SCHEME_THEN_COLON.sub(_colon, text)
    return html.escape(text, quote=False)
