"""The two layers: the pipeline (rnnstock/) never imports Streamlit, only rnnstock/web/ does,
and the package's import graph has no cycle. Run it alone to check a change:
``.venv/bin/python -m pytest tests/test_structure.py``."""

import ast
from pathlib import Path

from rnnstock.web.pages import PAGES
from tests.conftest import REPO

PACKAGE = REPO / "rnnstock"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function (not for type hints)."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_only_the_web_package_imports_streamlit():
    offenders = [
        name
        for name, path in _modules().items()
        if not name.startswith("rnnstock.web")
        and any(imported.split(".")[0] == "streamlit" for imported in _imports(path))
    ]
    assert offenders == []


def test_the_package_has_no_import_cycle():
    modules = _modules()
    graph = {
        name: {other for other in _imports(path) if other in modules and other != name}
        for name, path in modules.items()
    }
    cycles, state = [], {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for other in sorted(graph[name]):
            if state.get(other) == "open":
                cycles.append(" -> ".join([*path[path.index(other) :], other]))
            elif other not in state:
                visit(other, [*path, other])
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_every_page_script_is_where_the_navigation_says():
    for page in PAGES:
        assert (REPO / page.path).is_file(), page.path
    assert not (REPO / "pages").exists()  # Streamlit would run it as legacy pages
