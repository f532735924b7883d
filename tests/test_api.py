"""The public surface: every stage's names importable from the top level, documented, and runnable.

Adding to or removing from the API is a decision: update :data:`PUBLIC` (and ``docs/api.md``) with it.
"""

from __future__ import annotations

import ast
import importlib
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import shuangsuiji
from shuangsuiji import exceptions

PACKAGE = Path(shuangsuiji.__file__).parent
ROOT = PACKAGE.parent
API_DOC = ROOT / "docs" / "api.md"

#: The public names, by stage (the sections of docs/api.md).
PUBLIC: dict[str, set[str]] = {
    "inputs": {
        "AssignmentPolicy",
        "PublicationPolicy",
        "COLUMN_ALIASES",
        "Conflicts",
        "CreditPolicy",
        "DrawFiles",
        "DrawInputs",
        "History",
        "Plan",
        "Population",
        "RelationGraph",
        "Roster",
        "Task",
        "WorkCalendar",
        "check_conflicts",
        "check_exclusive_pairs",
        "check_history",
        "check_population",
        "check_relations",
        "check_roster",
        "is_valid_uscc",
        "load_draw_inputs",
        "load_plan",
        "parse_plan",
        "parse_window",
        "read_allow_list",
        "read_history",
        "read_overrides",
        "read_population",
        "read_table",
        "relation_conflicts",
        "rotation_conflicts",
        "uscc_check_character",
        "uscc_problem",
        "working_days",
        "ColumnMap",
        "canonical_columns",
        "load_column_map",
        "excel_damage",
        "identity_kind",
        "normalise_code",
        "EntityTriage",
        "RosterImport",
        "inspectors_roster",
        "triage_entities",
        "Item",
        "ItemsList",
        "items_plan",
        "read_items",
        "read_joint_items",
        "results_template",
        "write_templates",
    },
    "year": {
        "LedgerView",
        "PreparedBatch",
        "YearBatch",
        "YearCaps",
        "YearPlan",
        "YearRules",
        "batch_counts",
        "batch_plan",
        "key_ranking",
        "ledger_view",
        "load_year",
        "parse_year",
        "prepare_batch",
        "view_history",
        "year_rules",
        "year_status",
    },
    "ledger": {
        "CHECK_KINDS",
        "EVENTS",
        "LEDGER_FORMAT",
        "Ledger",
        "LedgerEntry",
        "LedgerHead",
        "assignment_entries",
        "check_entries",
        "draw_entries",
        "entry_hash",
        "published_entries",
        "result_entries",
        "verify_rows",
    },
    "draw": {
        "ALGORITHM",
        "DaskEngine",
        "DrawResult",
        "Engine",
        "MemoryEngine",
        "OUTCOMES",
        "Seed",
        "StratumAllocation",
        "StratumSpec",
        "TaskAllocation",
        "allocate",
        "check_seed",
        "draw",
        "get_engine",
        "read_parquet_dask",
        "ticket",
        "ticket_digests",
    },
    "ceremony": {
        "Commitment",
        "check_beacon_value",
        "check_inputs_against",
        "check_secret",
        "derive_seed",
        "make_commitment",
        "new_secret",
        "population_root",
        "population_root_parquet",
        "read_commitment",
        "RosterProof",
        "StaffingFiles",
        "StaffingRecord",
        "check_staffing_files",
        "read_staffing_files",
        "roster_leaves",
        "roster_proof",
        "verify_roster_proof",
    },
    "manifest": {
        "InputFile",
        "Manifest",
        "PopulationRecord",
        "SeedRecord",
        "StratumRecord",
        "TaskRecord",
        "YearRecord",
        "canonical_json",
        "draw_manifest",
        "draw_tables",
        "write_draw",
    },
    "assignment": {
        "Amendment",
        "AssignedTables",
        "AssignmentInputs",
        "AssignmentManifest",
        "AssignmentResult",
        "CapacityResult",
        "GroupReport",
        "PlaceChange",
        "RosterChange",
        "Visits",
        "apply_amendments",
        "assign",
        "assignment_tables",
        "capacity_change",
        "check_assignment",
        "load_assignment_inputs",
        "make_visits",
        "verify_certificate",
        "write_assignment",
    },
    "verification": {
        "AbsenceProof",
        "Check",
        "Proof",
        "ProofTask",
        "Verification",
        "make_absence_proof",
        "make_proof",
        "verify_absence",
        "verify_draw",
        "verify_proof",
    },
    "notices": {
        "EXPORT_FIELDS",
        "LISTING_DEADLINE_WORKING_DAYS",
        "LISTING_RESULTS",
        "Notice",
        "NoticeProvenance",
        "NoticeSettings",
        "load_notice_settings",
        "publicity_export",
        "RESULT_CATEGORIES",
        "check_results",
        "plan_notice",
        "result_notice",
        "task_notice",
        "write_notice",
    },
    "report": {
        "write_report",
    },
    "workflow": {
        "ProgressListener",
        "progress_to",
        "AmendStep",
        "AssignStep",
        "AssignmentFiles",
        "CapacityStep",
        "CommitStep",
        "DemoResult",
        "DrawStep",
        "LedgerAddStep",
        "NoticesStep",
        "ProveStep",
        "PublishStep",
        "ReportStep",
        "Reveal",
        "YearDemoResult",
        "YearStatusStep",
        "read_amendments",
        "run_amend",
        "run_assign",
        "run_capacity",
        "run_commit",
        "run_demo",
        "run_draw",
        "run_ledger_add",
        "run_ledger_export",
        "run_ledger_verify",
        "run_notices",
        "run_page",
        "run_prove",
        "run_publish",
        "run_report",
        "run_verify",
        "run_verify_proof",
        "run_officer_proof",
        "run_verify_officer_proof",
        "run_year_demo",
        "run_year_status",
        "write_example_city",
        "write_example_year",
        "write_ledger_view",
        "year_files",
        "ImportStep",
        "run_import",
    },
    "synthetic": {
        "example_plan_toml",
        "make_conflicts",
        "make_history",
        "make_population",
        "make_roster",
    },
    "exceptions": {
        "AllocationError",
        "AssignmentError",
        "CalendarError",
        "CalendarOverrideError",
        "CeremonyError",
        "ChecksError",
        "ConflictError",
        "DependencyError",
        "HistoryError",
        "InputError",
        "InternalError",
        "FolderError",
        "LedgerError",
        "ManifestError",
        "NotFoundError",
        "PlanError",
        "PopulationError",
        "Problem",
        "ProofError",
        "ResultsError",
        "RosterError",
        "SeedError",
        "ShuangsuijiError",
        "TableError",
        "YearError",
        "ColumnMapError",
        "ItemsError",
    },
}


def test_public_surface_is_exactly_the_documented_one() -> None:
    expected = set().union(*PUBLIC.values()) | {"__version__"}
    assert set(shuangsuiji.__all__) == expected and len(shuangsuiji.__all__) == len(expected)
    for name in shuangsuiji.__all__:
        assert hasattr(shuangsuiji, name), name
    assert set(dir(shuangsuiji)) >= expected


def test_docs_api_lists_every_public_name() -> None:
    text = API_DOC.read_text(encoding="utf-8")
    missing = [n for n in shuangsuiji.__all__ if n != "__version__" and f"`{n}`" not in text]
    assert not missing


def _modules() -> list[str]:
    found = [m.name for m in pkgutil.walk_packages([str(PACKAGE)], prefix="shuangsuiji.")]
    return [name for name in found if name != "shuangsuiji.__main__"]


def test_every_module_declares_all_and_every_name_exists() -> None:
    for name in _modules():
        module = importlib.import_module(name)
        assert hasattr(module, "__all__"), name
        for item in module.__all__:
            assert hasattr(module, item), f"{name}.{item}"


def test_every_exception_is_in_the_tree_and_importable_from_the_top() -> None:
    assert issubclass(exceptions.InputError, ValueError)
    assert issubclass(exceptions.InternalError, AssertionError)
    assert issubclass(exceptions.NotFoundError, KeyError)
    doc = exceptions.__doc__ or ""
    classes = [n for n in exceptions.__all__ if isinstance(getattr(exceptions, n), type)]
    for name in classes:
        obj = getattr(exceptions, name)
        if issubclass(obj, Exception):
            assert issubclass(obj, exceptions.ShuangsuijiError), name
            assert re.search(rf"\b{name}\b", doc), f"{name} missing from the exception tree"
            assert getattr(shuangsuiji, name) is obj
    # No exception class is defined anywhere else in the package.
    for path in PACKAGE.rglob("*.py"):
        if path.name == "exceptions.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                assert not any(b.endswith(("Error", "Exception")) for b in bases), f"{path}: {node.name}"


def test_misuse_raises_the_librarys_own_errors() -> None:
    plan = shuangsuiji.parse_plan(
        {"id": "P", "tasks": [{"id": "T", "department": "d", "items": ["x"], "ratio": "0.5"}]}
    )
    with pytest.raises(shuangsuiji.NotFoundError, match="has no task 'X'"):
        plan.task("X")
    with pytest.raises(KeyError):  # also a KeyError, for callers that catch that
        plan.task("X")
    with pytest.raises(shuangsuiji.InputError, match="must be 'memory' or 'dask'"):
        shuangsuiji.get_engine("spark")
    with pytest.raises(shuangsuiji.InputError, match="pandas DataFrame or a Population"):
        shuangsuiji.get_engine("memory").draw([1, 2], plan, shuangsuiji.Seed.of("0" * 64))
    with pytest.raises(shuangsuiji.SeedError):
        shuangsuiji.draw(pd.DataFrame({"uscc": ["91110000600037341L"]}), plan, "not a seed")
    with pytest.raises(shuangsuiji.CeremonyError, match="32 bytes"):
        shuangsuiji.derive_seed(b"short", "x", secret=None)


def _doc_example() -> str:
    text = API_DOC.read_text(encoding="utf-8")
    section = text.split("## A whole batch", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)  # type: ignore[union-attr]


def test_the_api_example_uses_top_level_names_alone() -> None:
    tree = ast.parse(_doc_example())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported == {"tempfile", "pathlib", "shuangsuiji"}
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute) and getattr(n.value, "id", "") == "ssj"}
    assert used and used <= set(shuangsuiji.__all__), used - set(shuangsuiji.__all__)
    assert {"run_commit", "run_draw", "run_assign", "run_verify", "run_notices"} <= used


@pytest.mark.slow
def test_the_api_example_runs_a_whole_batch(tmp_path: Path) -> None:
    script = tmp_path / "example.py"
    script.write_text(_doc_example(), encoding="utf-8")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "VERIFIED:" in proc.stdout and "'visits':" in proc.stdout


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
