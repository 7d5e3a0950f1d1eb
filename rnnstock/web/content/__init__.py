"""The pages' prose as content: one Markdown file per page in this folder, in blocks.

A block starts at a line ``<!-- block: name -->`` and runs to the next such line (blank
lines around it dropped; anything before the first block is a note for editors). It is a
template: ``${name}`` is filled with the value the page passes, and every other ``$`` is
text, so inline LaTeX (``$c_{t-1}$``) is written as it renders. Each paragraph is one line,
as Streamlit is given it.

Only the standard library here: the pages read their text before anything heavy loads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType

_BLOCK = re.compile(r"^<!-- block: ([a-z0-9-]+) -->$", re.MULTILINE)
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@cache
def blocks(page: str) -> Mapping[str, str]:
    """The blocks of ``<page>.md``, by name, read once per process."""
    source = resources.files(__name__).joinpath(f"{page}.md").read_text(encoding="utf-8")
    parts = _BLOCK.split(source)[1:]  # name, text, name, text, ...
    found: dict[str, str] = {}
    for name, body in zip(parts[::2], parts[1::2], strict=True):
        if name in found:
            raise ValueError(f"{page}.md has two blocks named {name!r}.")
        found[name] = body.strip("\n")
    return MappingProxyType(found)


def placeholders(page: str, block: str) -> set[str]:
    """The names a block needs values for."""
    return set(_PLACEHOLDER.findall(_block(page, block)))


def text(page: str, block: str, **values: object) -> str:
    """A block of ``<page>.md`` with its ``${name}`` placeholders filled from ``values``."""
    template = _block(page, block)
    missing = sorted(set(_PLACEHOLDER.findall(template)) - values.keys())
    if missing:
        names = ", ".join("${" + name + "}" for name in missing)
        raise KeyError(f"Block {block!r} of {page}.md needs a value for {names}.")
    return _PLACEHOLDER.sub(lambda match: str(values[match[1]]), template)


def _block(page: str, block: str) -> str:
    found = blocks(page)
    if block not in found:
        raise KeyError(f"{page}.md has no block {block!r}; its blocks: {', '.join(found)}.")
    return found[block]
