"""shuangsuiji: verifiable 双随机、一公开 (double random, one public) inspections.

Draw inspection targets at random from a published seed, so that anyone can
recompute every draw with nothing but ``sha256sum``; staff the visits at
random too; publish what anyone can check. Every public name of every stage
is here (``docs/api.md`` lists them by stage):

- **inputs**: :func:`read_table`, :func:`check_population`, :func:`load_plan`,
  :func:`check_history`, :func:`check_roster`, :func:`check_conflicts`, ...
  and :func:`load_draw_inputs`, the one loader of a draw's inputs;
- **the year**: :func:`load_year`, :func:`prepare_batch`, :func:`year_status`, and the
  inspection ledger, :class:`Ledger`;
- **the draw**: :func:`draw` (in memory or on Dask, :func:`get_engine`), :class:`DrawResult`;
- **the ceremony**: :func:`make_commitment`, :func:`derive_seed`;
- **the assignment**: :func:`make_visits`, :func:`assign`;
- **verification**: :func:`verify_draw`, :func:`make_proof`, :func:`verify_proof`;
- **publication**: the notices and :func:`write_report`;
- **the workflow**: one function per bureau step, :func:`run_commit` ... :func:`run_demo`;
- every exception, in the tree of :mod:`shuangsuiji.exceptions`.

Names resolve on first use, so ``import shuangsuiji`` is quick and loads none
of OR-Tools, SciPy, NetworkX, Dask or matplotlib until a function needs them.

Examples
--------
>>> import pandas as pd
>>> import shuangsuiji as ssj
>>> pop = pd.DataFrame({"uscc": ["91110000600037341L", "9144030071526726XG"], "credit_class": ["B", "B"]})
>>> plan = ssj.parse_plan({"id": "P1", "tasks": [{"id": "T1", "department": "市场监管局",
...                        "items": ["企业公示信息"], "ratio": "0.5"}]})
>>> ssj.draw(pop, plan, "0" * 64).selection["uscc"].tolist()
['9144030071526726XG']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import attach
from ._version import __version__

if TYPE_CHECKING:
    from ._items_plan import items_plan
    from ._staffing_record import (
        RosterProof,
        StaffingFiles,
        StaffingRecord,
        check_staffing_files,
        read_staffing_files,
        roster_leaves,
        roster_proof,
        verify_roster_proof,
    )
    from .absence import AbsenceProof, make_absence_proof, verify_absence
    from .allocation import StratumAllocation, StratumSpec, TaskAllocation, allocate
    from .assignment import (
        AssignmentInputs,
        AssignmentManifest,
        AssignmentResult,
        GroupReport,
        assign,
        assignment_tables,
        check_assignment,
        load_assignment_inputs,
        verify_certificate,
        write_assignment,
    )
    from .assignment.amend import AssignedTables, apply_amendments
    from .assignment.capacity import CapacityResult, RosterChange, capacity_change
    from .assignment.manifest import Amendment, PlaceChange
    from .bureau import EntityTriage, RosterImport, inspectors_roster, triage_entities
    from .ceremony import Commitment, check_inputs_against, check_secret, make_commitment, read_commitment
    from .checks import Check, Verification
    from .columns import ColumnMap, canonical_columns, load_column_map
    from .conflicts import (
        Conflicts,
        RelationGraph,
        check_conflicts,
        check_exclusive_pairs,
        check_relations,
        relation_conflicts,
        rotation_conflicts,
    )
    from .credit import CreditPolicy
    from .disclosure import PublicationPolicy
    from .distributed import read_parquet_dask
    from .engines import DaskEngine, Engine, MemoryEngine, get_engine
    from .exceptions import (
        AllocationError,
        AssignmentError,
        CalendarError,
        CalendarOverrideError,
        CeremonyError,
        ChecksError,
        ColumnMapError,
        ConflictError,
        DependencyError,
        FolderError,
        HistoryError,
        InputError,
        InternalError,
        ItemsError,
        LedgerError,
        ManifestError,
        NotFoundError,
        PlanError,
        PopulationError,
        Problem,
        ProofError,
        ResultsError,
        RosterError,
        SeedError,
        ShuangsuijiError,
        TableError,
        YearError,
    )
    from .exclusions import History, YearRules, check_history
    from .identity import excel_damage, identity_kind, normalise_code
    from .inputs import DrawFiles, DrawInputs, load_draw_inputs, read_history, read_population
    from .io import COLUMN_ALIASES, read_allow_list, read_table
    from .items import Item, ItemsList, read_items, read_joint_items
    from .ledger import (
        CHECK_KINDS,
        EVENTS,
        LEDGER_FORMAT,
        Ledger,
        LedgerEntry,
        LedgerHead,
        assignment_entries,
        check_entries,
        draw_entries,
        entry_hash,
        published_entries,
        result_entries,
        verify_rows,
    )
    from .manifest import (
        InputFile,
        Manifest,
        PopulationRecord,
        SeedRecord,
        StratumRecord,
        TaskRecord,
        YearRecord,
        canonical_json,
        draw_manifest,
        draw_tables,
        write_draw,
    )
    from .notices import (
        EXPORT_FIELDS,
        LISTING_DEADLINE_WORKING_DAYS,
        LISTING_RESULTS,
        RESULT_CATEGORIES,
        Notice,
        NoticeProvenance,
        NoticeSettings,
        check_results,
        load_notice_settings,
        plan_notice,
        publicity_export,
        result_notice,
        task_notice,
        write_notice,
    )
    from .plan import AssignmentPolicy, Plan, Task, load_plan, parse_plan, parse_window
    from .population import Population, check_population
    from .proofs import Proof, ProofTask, make_proof, verify_proof
    from .report import write_report
    from .roots import population_root, population_root_parquet
    from .roster import Roster, check_roster
    from .sampling import ALGORITHM, OUTCOMES, DrawResult, draw, ticket, ticket_digests
    from .seed import Seed, check_beacon_value, check_seed, derive_seed, new_secret
    from .synthetic import example_plan_toml, make_conflicts, make_history, make_population, make_roster
    from .templates import results_template, write_templates
    from .uscc import is_valid_uscc, uscc_check_character, uscc_problem
    from .verify import verify_draw
    from .visits import Visits, make_visits
    from .workdays import WorkCalendar, read_overrides, working_days
    from .workflow import (
        AmendStep,
        AssignmentFiles,
        AssignStep,
        CapacityStep,
        CommitStep,
        DemoResult,
        DrawStep,
        ImportStep,
        LedgerAddStep,
        NoticesStep,
        ProgressListener,
        ProveStep,
        PublishStep,
        ReportStep,
        Reveal,
        YearDemoResult,
        YearStatusStep,
        read_amendments,
        run_amend,
        run_assign,
        run_capacity,
        run_commit,
        run_demo,
        run_draw,
        run_import,
        run_ledger_add,
        run_ledger_export,
        run_ledger_verify,
        run_notices,
        run_officer_proof,
        run_page,
        run_prove,
        run_publish,
        run_report,
        run_verify,
        run_verify_officer_proof,
        run_verify_proof,
        run_year_demo,
        run_year_status,
        write_example_city,
        write_example_year,
        write_ledger_view,
        year_files,
    )
    from .year import YearBatch, YearCaps, YearPlan, batch_counts, batch_plan, key_ranking, load_year, parse_year
    from .yearstatus import year_status
    from .yearview import LedgerView, PreparedBatch, ledger_view, prepare_batch, view_history, year_rules

#: Where each public name lives, by module (each imported on first use).
_MODULES = {
    ".allocation": "StratumAllocation StratumSpec TaskAllocation allocate",
    ".assignment": (
        "AssignmentInputs AssignmentManifest AssignmentResult GroupReport assign assignment_tables "
        "check_assignment load_assignment_inputs verify_certificate write_assignment"
    ),
    ".assignment.amend": "AssignedTables apply_amendments",
    ".assignment.capacity": "CapacityResult RosterChange capacity_change",
    ".assignment.manifest": "Amendment PlaceChange",
    ".ceremony": "Commitment check_inputs_against check_secret make_commitment read_commitment",
    ".checks": "Check Verification",
    ".columns": "ColumnMap canonical_columns load_column_map",
    ".identity": "excel_damage identity_kind normalise_code",
    ".bureau": "EntityTriage RosterImport inspectors_roster triage_entities",
    ".items": "Item ItemsList read_items read_joint_items",
    "._items_plan": "items_plan",
    ".templates": "results_template write_templates",
    ".conflicts": (
        "Conflicts RelationGraph check_conflicts check_exclusive_pairs check_relations relation_conflicts "
        "rotation_conflicts"
    ),
    ".credit": "CreditPolicy",
    ".distributed": "read_parquet_dask",
    ".engines": "DaskEngine Engine MemoryEngine get_engine",
    ".exceptions": (
        "AllocationError AssignmentError CalendarError CalendarOverrideError CeremonyError ChecksError "
        "ConflictError DependencyError HistoryError InputError InternalError FolderError LedgerError ManifestError "
        "NotFoundError PlanError PopulationError Problem ProofError ResultsError RosterError SeedError "
        "ShuangsuijiError TableError YearError ColumnMapError ItemsError"
    ),
    ".exclusions": "History YearRules check_history",
    ".inputs": "DrawFiles DrawInputs load_draw_inputs read_history read_population",
    ".io": "COLUMN_ALIASES read_allow_list read_table",
    ".ledger": (
        "CHECK_KINDS EVENTS LEDGER_FORMAT Ledger LedgerEntry LedgerHead assignment_entries check_entries "
        "draw_entries entry_hash published_entries result_entries verify_rows"
    ),
    ".manifest": (
        "InputFile Manifest PopulationRecord SeedRecord StratumRecord TaskRecord YearRecord "
        "canonical_json draw_manifest draw_tables write_draw"
    ),
    ".notices": (
        "Notice RESULT_CATEGORIES check_results plan_notice result_notice task_notice write_notice NoticeSettings "
        "NoticeProvenance load_notice_settings publicity_export EXPORT_FIELDS LISTING_RESULTS "
        "LISTING_DEADLINE_WORKING_DAYS"
    ),
    ".plan": "AssignmentPolicy Plan Task load_plan parse_plan parse_window",
    ".disclosure": "PublicationPolicy",
    ".population": "Population check_population",
    ".absence": "AbsenceProof make_absence_proof verify_absence",
    "._staffing_record": (
        "RosterProof StaffingFiles StaffingRecord check_staffing_files read_staffing_files roster_leaves roster_proof "
        "verify_roster_proof"
    ),
    ".proofs": "Proof ProofTask make_proof verify_proof",
    ".report": "write_report",
    ".roots": "population_root population_root_parquet",
    ".roster": "Roster check_roster",
    ".sampling": "ALGORITHM DrawResult OUTCOMES draw ticket ticket_digests",
    ".seed": "Seed check_beacon_value check_seed derive_seed new_secret",
    ".synthetic": "example_plan_toml make_conflicts make_history make_population make_roster",
    ".uscc": "is_valid_uscc uscc_check_character uscc_problem",
    ".verify": "verify_draw",
    ".visits": "Visits make_visits",
    ".workdays": "WorkCalendar read_overrides working_days",
    ".workflow": (
        "AssignStep AssignmentFiles CommitStep DemoResult DrawStep LedgerAddStep NoticesStep ProveStep PublishStep "
        "ReportStep Reveal YearDemoResult YearStatusStep run_assign run_commit run_demo run_draw "
        "run_ledger_add run_ledger_export run_ledger_verify run_notices run_page run_prove run_publish run_report "
        "run_verify run_verify_proof run_year_demo run_year_status write_example_city write_example_year "
        "write_ledger_view year_files ImportStep run_import run_officer_proof run_verify_officer_proof "
        "AmendStep read_amendments run_amend CapacityStep run_capacity ProgressListener progress_to"
    ),
    ".year": "YearBatch YearCaps YearPlan batch_counts batch_plan key_ranking load_year parse_year",
    ".yearstatus": "year_status",
    ".yearview": "LedgerView PreparedBatch ledger_view prepare_batch view_history year_rules",
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names.split()}
__all__ = [
    "ALGORITHM",
    "CHECK_KINDS",
    "COLUMN_ALIASES",
    "EVENTS",
    "EXPORT_FIELDS",
    "LEDGER_FORMAT",
    "LISTING_DEADLINE_WORKING_DAYS",
    "LISTING_RESULTS",
    "OUTCOMES",
    "RESULT_CATEGORIES",
    "AbsenceProof",
    "AllocationError",
    "AmendStep",
    "Amendment",
    "AssignStep",
    "AssignedTables",
    "AssignmentError",
    "AssignmentFiles",
    "AssignmentInputs",
    "AssignmentManifest",
    "AssignmentPolicy",
    "AssignmentResult",
    "CalendarError",
    "CalendarOverrideError",
    "CapacityResult",
    "CapacityStep",
    "CeremonyError",
    "Check",
    "ChecksError",
    "ColumnMap",
    "ColumnMapError",
    "CommitStep",
    "Commitment",
    "ConflictError",
    "Conflicts",
    "CreditPolicy",
    "DaskEngine",
    "DemoResult",
    "DependencyError",
    "DrawFiles",
    "DrawInputs",
    "DrawResult",
    "DrawStep",
    "Engine",
    "EntityTriage",
    "FolderError",
    "GroupReport",
    "History",
    "HistoryError",
    "ImportStep",
    "InputError",
    "InputFile",
    "InternalError",
    "Item",
    "ItemsError",
    "ItemsList",
    "Ledger",
    "LedgerAddStep",
    "LedgerEntry",
    "LedgerError",
    "LedgerHead",
    "LedgerView",
    "Manifest",
    "ManifestError",
    "MemoryEngine",
    "NotFoundError",
    "Notice",
    "NoticeProvenance",
    "NoticeSettings",
    "NoticesStep",
    "PlaceChange",
    "Plan",
    "PlanError",
    "Population",
    "PopulationError",
    "PopulationRecord",
    "PreparedBatch",
    "Problem",
    "ProgressListener",
    "Proof",
    "ProofError",
    "ProofTask",
    "ProveStep",
    "PublicationPolicy",
    "PublishStep",
    "RelationGraph",
    "ReportStep",
    "ResultsError",
    "Reveal",
    "Roster",
    "RosterChange",
    "RosterError",
    "RosterImport",
    "RosterProof",
    "Seed",
    "SeedError",
    "SeedRecord",
    "ShuangsuijiError",
    "StaffingFiles",
    "StaffingRecord",
    "StratumAllocation",
    "StratumRecord",
    "StratumSpec",
    "TableError",
    "Task",
    "TaskAllocation",
    "TaskRecord",
    "Verification",
    "Visits",
    "WorkCalendar",
    "YearBatch",
    "YearCaps",
    "YearDemoResult",
    "YearError",
    "YearPlan",
    "YearRecord",
    "YearRules",
    "YearStatusStep",
    "__version__",
    "allocate",
    "apply_amendments",
    "assign",
    "assignment_entries",
    "assignment_tables",
    "batch_counts",
    "batch_plan",
    "canonical_columns",
    "canonical_json",
    "capacity_change",
    "check_assignment",
    "check_beacon_value",
    "check_conflicts",
    "check_entries",
    "check_exclusive_pairs",
    "check_history",
    "check_inputs_against",
    "check_population",
    "check_relations",
    "check_results",
    "check_roster",
    "check_secret",
    "check_seed",
    "check_staffing_files",
    "derive_seed",
    "draw",
    "draw_entries",
    "draw_manifest",
    "draw_tables",
    "entry_hash",
    "example_plan_toml",
    "excel_damage",
    "get_engine",
    "identity_kind",
    "inspectors_roster",
    "is_valid_uscc",
    "items_plan",
    "key_ranking",
    "ledger_view",
    "load_assignment_inputs",
    "load_column_map",
    "load_draw_inputs",
    "load_notice_settings",
    "load_plan",
    "load_year",
    "make_absence_proof",
    "make_commitment",
    "make_conflicts",
    "make_history",
    "make_population",
    "make_proof",
    "make_roster",
    "make_visits",
    "new_secret",
    "normalise_code",
    "parse_plan",
    "parse_window",
    "parse_year",
    "plan_notice",
    "population_root",
    "population_root_parquet",
    "prepare_batch",
    "progress_to",
    "publicity_export",
    "published_entries",
    "read_allow_list",
    "read_amendments",
    "read_commitment",
    "read_history",
    "read_items",
    "read_joint_items",
    "read_overrides",
    "read_parquet_dask",
    "read_population",
    "read_staffing_files",
    "read_table",
    "relation_conflicts",
    "result_entries",
    "result_notice",
    "results_template",
    "roster_leaves",
    "roster_proof",
    "rotation_conflicts",
    "run_amend",
    "run_assign",
    "run_capacity",
    "run_commit",
    "run_demo",
    "run_draw",
    "run_import",
    "run_ledger_add",
    "run_ledger_export",
    "run_ledger_verify",
    "run_notices",
    "run_officer_proof",
    "run_page",
    "run_prove",
    "run_publish",
    "run_report",
    "run_verify",
    "run_verify_officer_proof",
    "run_verify_proof",
    "run_year_demo",
    "run_year_status",
    "task_notice",
    "ticket",
    "ticket_digests",
    "triage_entities",
    "uscc_check_character",
    "uscc_problem",
    "verify_absence",
    "verify_certificate",
    "verify_draw",
    "verify_proof",
    "verify_roster_proof",
    "verify_rows",
    "view_history",
    "working_days",
    "write_assignment",
    "write_draw",
    "write_example_city",
    "write_example_year",
    "write_ledger_view",
    "write_notice",
    "write_report",
    "write_templates",
    "year_files",
    "year_rules",
    "year_status",
]
__getattr__, __dir__ = attach(__name__, _EXPORTS)
