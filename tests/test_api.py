"""The public surface: what `import shuangsuiji` offers is explicit and stays importable."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import shuangsuiji
from shuangsuiji import exceptions

PACKAGE = Path(shuangsuiji.__file__).parent


PUBLIC = {
    # constants and types
    "ALGORITHM",
    "OUTCOMES",
    "CreditPolicy",
    "DrawResult",
    "History",
    "InputFile",
    "Plan",
    "Population",
    "Problem",
    "StratumAllocation",
    "StratumSpec",
    "Task",
    "TaskAllocation",
    "__version__",
    # errors
    "AllocationError",
    "HistoryError",
    "InputError",
    "InternalError",
    "PlanError",
    "PopulationError",
    "SeedError",
    "ShuangsuijiError",
    "TableError",
    # functions
    "allocate",
    "canonical_json",
    "check_history",
    "check_population",
    "draw",
    "draw_manifest",
    "example_plan_toml",
    "is_valid_uscc",
    "load_plan",
    "make_history",
    "make_population",
    "parse_plan",
    "read_allow_list",
    "read_table",
    "ticket",
    "ticket_digests",
    "uscc_check_character",
    "uscc_problem",
    "write_draw",
}


def test_public_surface_is_exactly_the_documented_one() -> None:
    # Adding to or removing from the API is a decision: update this set with it.
    assert set(shuangsuiji.__all__) == PUBLIC and len(shuangsuiji.__all__) == len(PUBLIC)
    for name in shuangsuiji.__all__:
        assert hasattr(shuangsuiji, name), name


def test_every_public_module_declares_all() -> None:
    for info in pkgutil.iter_modules([str(PACKAGE)]):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"shuangsuiji.{info.name}")
        if info.name == "cli":
            assert module.__all__ == ["main"]
            continue
        for name in module.__all__:
            assert hasattr(module, name), f"{info.name}.{name}"


def test_exceptions_subclass_builtins_and_the_tree_is_documented() -> None:
    assert issubclass(exceptions.InputError, ValueError)
    assert issubclass(exceptions.InternalError, AssertionError)
    doc = exceptions.__doc__ or ""
    for name in exceptions.__all__:
        obj = getattr(exceptions, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, exceptions.ShuangsuijiError)
            assert name in doc, f"{name} missing from the exception tree"


def test_no_unseeded_or_global_randomness_and_no_eval() -> None:
    banned = re.compile(
        r"np\.random\.(seed|rand|randn|randint|choice|shuffle|permutation)\(|\brandom\.(seed|random|randint|choice|shuffle)\("
    )
    for path in PACKAGE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not banned.search(text), path
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in {"eval", "exec"}, path
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "default_rng":
                assert node.args, f"{path}: default_rng() without a seed"
