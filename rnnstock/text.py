"""Text from outside (a link, a file name, a column, a cell) shown as plain text in Markdown:
what the pages and the run card quote is escaped here, in one place."""

from __future__ import annotations

import re

# Markdown that would turn outside text into something else: emphasis and code, links
# and images ([…](…)), HTML, headings, tables and LaTeX: each escaped with a backslash.
_MARKDOWN = re.compile(r"[\\`*_\[\]#|~<>$!&]")
# What Streamlit turns into links, emoji, icons or colours even when escaped: bare
# addresses (http://…, www.…, name@host) and :name: directives. An invisible word
# joiner (U+2060) inside each keeps the text as it reads.
_LINKIFIED = re.compile(r"://|(?<=www)\.|@|:(?=[A-Za-z])")
JOINER = "\u2060"
MAX_SHOWN = 200  # characters of outside text a message quotes


def literal(text: object, limit: int = MAX_SHOWN) -> str:
    """``text`` for a Markdown message, shown as typed: no links, bold, icons or colours,
    and cut after ``limit`` characters."""
    shown = " ".join(str(text).split())  # a line break would start a heading or a list
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    escaped = _MARKDOWN.sub(lambda match: "\\" + match.group(), shown)
    return _LINKIFIED.sub(_join, escaped)


def _join(match: re.Match) -> str:
    found = match.group()
    return JOINER + found if found == "." else found[0] + JOINER + found[1:]
