"""Text from outside (a link, a file name, a column, a cell) shown as plain text."""

from __future__ import annotations

import re

# Markdown that would turn outside text into something else: emphasis and code, links
# and images ([…](…), bare http:// and www. addresses), HTML, headings, tables, LaTeX,
# and Streamlit's :emoji:, :material/icon: and :red[colour] directives.
_MARKDOWN = re.compile(r"[\\`*_\[\]#|~<>$!]|:(?=[A-Za-z/])|(?<=www)\.")
MAX_SHOWN = 200  # characters of outside text a message quotes


def literal(text: object, limit: int = MAX_SHOWN) -> str:
    """``text`` for a Markdown message, shown as typed: no links, bold, icons or colours,
    and cut after ``limit`` characters."""
    shown = str(text)
    if len(shown) > limit:
        shown = shown[: limit - 1] + "…"
    return _MARKDOWN.sub(lambda match: "\\" + match.group(), shown)
