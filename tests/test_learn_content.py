"""The Learn page's text in rnnstock/web/content/learn.md: every block the page asks for is
there and gets every value it needs, nothing is left unfilled on the page, and a wrong name
fails loudly rather than showing a placeholder."""

import ast
import re

import pytest

from rnnstock.web import content
from rnnstock.web.learn import text
from tests.conftest import REPO
from tests.test_learn import open_learn

PAGE = REPO / "rnnstock" / "web" / "learn.py"
UNFILLED = re.compile(r"\$\{\w+\}")  # a placeholder of learn.md
LOOKS_FILLABLE = re.compile(r"\{[A-Za-z_]\w*\}")  # {window}: a str.format placeholder


def _block_names(node: ast.expr) -> set[str]:
    """The blocks a ``text(...)`` call can ask for: a literal, or either side of an ``if``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _block_names(node.body) | _block_names(node.orelse)
    raise AssertionError(f"line {node.lineno}: name the block with a literal so it can be checked")


def text_calls() -> list[tuple[int, set[str], set[str]]]:
    """Each ``text(...)`` call of the page: its line, the blocks and the values it passes."""
    calls = []
    for node in ast.walk(ast.parse(PAGE.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "text":
            values = {keyword.arg for keyword in node.keywords}
            assert None not in values, f"line {node.lineno}: pass values by name, not **"
            calls.append((node.lineno, _block_names(node.args[0]), values))
    return calls


def test_every_block_the_page_uses_is_in_the_file_and_every_block_is_used():
    used = set().union(*(blocks for _, blocks, _ in text_calls()))
    assert used <= set(content.blocks("learn")), used - set(content.blocks("learn"))
    assert set(content.blocks("learn")) <= used, set(content.blocks("learn")) - used


def test_each_call_passes_exactly_the_values_its_block_needs():
    for line, blocks, values in text_calls():
        for block in blocks:
            assert content.placeholders("learn", block) == values, (line, block)


def test_blocks_keep_latex_and_markdown_as_written():
    lessons = content.blocks("learn")["gradients-lessons"]
    assert r"$c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t$" in lessons
    assert lessons.count("\n- ") == 2  # three bullets, one a line
    assert content.blocks("learn")["shape"].startswith("${example}\n\n*Keras:*")
    filled = text("scaler-bad-split", error="${window} stays as given")
    assert filled == "The current split cannot be drawn: ${window} stays as given"


def test_an_unknown_block_or_a_missing_value_raises():
    with pytest.raises(KeyError, match=r"learn\.md has no block 'no-such-block'"):
        text("no-such-block")
    with pytest.raises(KeyError, match=r"needs a value for \$\{window\}"):
        text("tensors-title")
    with pytest.raises(KeyError, match=r"\$\{input_shape\}, \$\{window\}"):
        text("tensors")


def rendered(app) -> list[str]:
    """Every text the page shows: messages, headings, captions, equations, tabs and links."""
    shown = [
        element.value
        for kind in ("markdown", "header", "subheader", "caption", "info", "success", "error")
        for element in getattr(app, kind)
    ]
    shown += [element.value for element in app.get("latex")]
    shown += [tab.label for tab in app.tabs]
    shown += [link.proto.label for link in app.get("page_link")]
    return shown


@pytest.mark.parametrize(
    "settings",
    [
        {},  # the defaults: LSTM(50), window 60
        {"cell": "GRU", "units": "32, 16", "dense": "25", "bidirectional": True, "window": 30},
    ],
    ids=["defaults", "gru-short-window"],
)
def test_no_placeholder_is_left_on_the_page(settings):
    app = open_learn(**settings)
    assert not app.exception, app.exception
    shown = rendered(app)
    assert len(shown) > 40
    assert [s for s in shown if UNFILLED.search(s)] == []
    latex = {element.value for element in app.get("latex")}  # \text{output} is LaTeX
    assert [s for s in shown if s not in latex and LOOKS_FILLABLE.search(s)] == []
    window = settings.get("window", 60)
    assert any(s.startswith(f"Each prediction reads **{window} days**") for s in shown)
