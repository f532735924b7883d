"""The shape of the code, checked on its source: imports, cycles, the rule checker's isolation, sizes, errors.

Each rule is one test, read off the package's modules with :mod:`ast` (nothing is imported).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import shuangsuiji

PACKAGE = Path(shuangsuiji.__file__).parent
ROOT = PACKAGE.parent
#: No file of the package over this many lines, no function over that many, but for these (with why).
MAX_FILE_LINES, MAX_FUNCTION_LINES = 500, 80
LONG_FUNCTIONS: dict[str, str] = {}
LONG_FILES: dict[str, str] = {
    # the public surface: every public name three times (for type checkers, the lazy table and __all__)
    "shuangsuiji": "lists the whole API",
}
#: The solver's side of the assignment, which the independent rule checker must not reach.
SOLVER = {
    "shuangsuiji.assignment.encode",
    "shuangsuiji.assignment.solve",
    "shuangsuiji.assignment.repair",
    "shuangsuiji.assignment.certificate",
    "shuangsuiji.assignment.staffing",
    "shuangsuiji.assignment.orchestrate",
    "shuangsuiji.assignment.schedule",
}
SOLVER_LIBRARIES = {"ortools", "scipy"}


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, tuple[Path, ast.Module]]:
    return {_name(p): (p, ast.parse(p.read_text(encoding="utf-8"))) for p in sorted(PACKAGE.rglob("*.py"))}


def _is_package(module: str) -> bool:
    return _modules()[module][0].name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if _is_package(module) else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """The ids of the nodes inside ``if TYPE_CHECKING:`` blocks (never executed)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            skip |= {id(n) for child in node.body for n in ast.walk(child)}
    return skip


def _imports(module: str) -> Iterator[tuple[str, str | None]]:
    """(module imported, name imported or None) for every import that runs (TYPE_CHECKING blocks aside)."""
    tree = _modules()[module][1]
    skip = _type_checking_nodes(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None
        elif isinstance(node, ast.ImportFrom):
            target = _resolve(module, node)
            for alias in node.names:
                yield target, alias.name


@cache
def _lazy_exports(package: str) -> dict[str, str]:
    """A package's ``_EXPORTS`` table (name -> module), resolved to absolute module names.

    The table is written out (``_EXPORTS = {name: module}``), or by module (``_MODULES = {module:
    "name name ..."}``, from which ``_EXPORTS`` is built).
    """
    tree = _modules()[package][1]
    for node in tree.body:
        target = getattr(node.targets[0], "id", "") if isinstance(node, ast.Assign) else ""
        if target == "_EXPORTS" and isinstance(node.value, ast.Dict):
            table = ast.literal_eval(node.value)
            return {name: package + target for name, target in table.items()}
        if target == "_MODULES":
            by_module = ast.literal_eval(node.value)
            return {name: package + module for module, names in by_module.items() for name in names.split()}
    return {}


def _edges(module: str) -> set[str]:
    """The package modules ``module`` imports, a lazily exported name counting as its module."""
    out = set()
    modules = _modules()
    for target, name in _imports(module):
        if not target.startswith("shuangsuiji"):
            continue
        submodule = f"{target}.{name}" if name else None
        if submodule in modules:
            out.add(submodule)
        elif name in _lazy_exports(target) if target in modules else False:
            out.add(_lazy_exports(target)[name])
        elif target in modules:
            out.add(target)
    if _is_package(module):
        out |= set(_lazy_exports(module).values())
    out.discard(module)
    return out


def test_no_module_imports_another_modules_private_names() -> None:
    found = []
    for module in _modules():
        for target, name in _imports(module):
            # ``_`` is gettext's name for "translate this" (shuangsuiji._i18n), not a private name
            private = name is not None and name.startswith("_") and not name.startswith("__") and name != "_"
            if target.startswith("shuangsuiji") and private:
                found.append(f"{module} imports {name} from {target}")
    assert not found


def test_there_is_no_import_cycle() -> None:
    graph = {m: _edges(m) for m in _modules()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, " ; ".join(" -> ".join(c) for c in cycles)


def test_the_cycle_check_sees_lazy_and_function_level_imports() -> None:
    # The check must see what runs: a name exported lazily is its module, an import inside a function counts.
    assert "shuangsuiji.sampling" in _edges("shuangsuiji")
    assert "shuangsuiji.assignment.orchestrate" in _edges("shuangsuiji.assignment.inputs")


def test_the_rule_checker_imports_nothing_of_the_solver() -> None:
    seen, todo = set(), ["shuangsuiji.assignment.rules"]
    libraries = set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        libraries |= {t.split(".")[0] for t, _ in _imports(module) if not t.startswith("shuangsuiji")}
        todo += sorted(_edges(module) - {"shuangsuiji"})
    assert not seen & SOLVER, seen & SOLVER
    assert not libraries & SOLVER_LIBRARIES, libraries & SOLVER_LIBRARIES
    rules = [n.name for n in _modules()["shuangsuiji.assignment.rules"][1].body if isinstance(n, ast.FunctionDef)]
    assert sum(name.startswith("check_") for name in rules) >= 15  # one function per rule


def test_no_file_or_function_is_too_long() -> None:
    long = []
    for module, (path, tree) in _modules().items():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_FILE_LINES and module not in LONG_FILES:
            long.append(f"{module}: {lines} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES and f"{module}.{node.name}" not in LONG_FUNCTIONS:
                    long.append(f"{module}.{node.name}: {length} lines")
    assert not long


BUILTIN_ERRORS = {"ValueError", "KeyError", "IndexError", "TypeError", "AssertionError", "RuntimeError", "Exception"}


def test_library_code_raises_its_own_errors_and_never_asserts() -> None:
    found = []
    for module, (_, tree) in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Assert):
                found.append(f"{module}:{node.lineno}: assert")
            if isinstance(node, ast.Raise) and node.exc is not None:
                call = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if getattr(call, "id", None) in BUILTIN_ERRORS:
                    found.append(f"{module}:{node.lineno}: raise {call.id}")  # type: ignore[attr-defined]
    assert not found


def _examples() -> Iterator[tuple[str, str]]:
    """Every piece of example code a user reads: notebooks, the README and the docs' code blocks."""
    for path in sorted((ROOT / "examples").glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] == "code":
                yield path.name, "".join(cell["source"])
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for block in re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S):
            yield path.name, block


def test_examples_use_the_public_api_only() -> None:
    private = re.compile(r"shuangsuiji\.(_\w+|cli)\b|from shuangsuiji import _|from \.\w")
    found = [name for name, code in _examples() if private.search(code)]
    assert not found
    assert sum(1 for _ in _examples()) >= 10
