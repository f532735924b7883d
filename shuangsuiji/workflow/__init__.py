"""The bureau's steps, one function each: what the command line, the demo and a service all call.

Each step takes paths and options, reads and checks its inputs through one
loader (:mod:`shuangsuiji.inputs`), writes its files atomically and returns a
small result object:

======================  ====================================================================
:func:`run_commit`      commit to the plan, the inputs and a secret before the beacon exists
:func:`run_draw`        draw the targets (from a seed, or revealing the commitment)
:func:`run_import`      import a bureau's 两库一单 as it keeps them, with a triage of every row
:func:`run_assign`      staff and date the visits (the second random)
:func:`run_capacity`    the smallest roster change that staffs every visit
:func:`run_amend`       amend a staffed assignment: a late recusal, leave or departure, logged
:func:`run_notices`     write 抽查计划公告, 抽查任务公告 and 抽查结果公告
:func:`run_page`        write the offline verification page
:func:`run_publish`     assemble the public folder: what anyone may see and check, no secret, no inputs
:func:`run_report`      write an HTML report with figures
:func:`run_verify`      recompute and check a published draw and its assignment
:func:`run_prove`       write one firm's proof
:func:`run_verify_proof` check one firm's proof against the manifest alone
:func:`run_officer_proof` write an officer's proof of their entry in the committed roster
:func:`run_verify_officer_proof` check an officer's roster proof against the commitment alone
:func:`year_files`      a year's batch: its files, the ledger's view written beside it
:func:`run_year_status` how far the year is against its target
:func:`run_ledger_add`  add a draw, its assignment, results or checks to the ledger
:func:`run_ledger_export` export the ledger (CSV, XLSX, Parquet)
:func:`run_ledger_verify` recompute the ledger's chain and check the batches against it
:func:`run_demo`        all of it on a synthetic city
:func:`run_year_demo`   a whole year of it, batch by batch, with the ledger
======================  ====================================================================

``with progress_to(listener):`` tells a :class:`ProgressListener` how far the slow steps inside
the block have gone (the command line draws its progress bar so).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import attach

if TYPE_CHECKING:
    from ._amend import AmendStep, read_amendments, run_amend
    from ._capacity import CapacityStep, run_capacity
    from ._checking import ProveStep, run_prove, run_verify, run_verify_proof
    from ._draws import CommitStep, DrawStep, Reveal, run_commit, run_draw
    from ._import import ImportStep, run_import
    from ._ledger import LedgerAddStep, run_ledger_add, run_ledger_export, run_ledger_verify
    from ._officer import run_officer_proof, run_verify_officer_proof
    from ._progress import ProgressListener, progress_to
    from ._publish import PublishStep, run_publish
    from ._publishing import NoticesStep, ReportStep, inspector_names, run_notices, run_page, run_report
    from ._staffing import AssignmentFiles, AssignStep, run_assign
    from ._year import YearStatusStep, run_year_status, write_ledger_view, year_files
    from .demo import DemoResult, demo_summary, run_demo, write_example_city
    from .yeardemo import YearDemoResult, run_year_demo, write_example_year

_EXPORTS = {
    "AmendStep": "._amend",
    "AssignStep": "._staffing",
    "AssignmentFiles": "._staffing",
    "CapacityStep": "._capacity",
    "CommitStep": "._draws",
    "DemoResult": ".demo",
    "DrawStep": "._draws",
    "ImportStep": "._import",
    "LedgerAddStep": "._ledger",
    "NoticesStep": "._publishing",
    "ProveStep": "._checking",
    "ProgressListener": "._progress",
    "PublishStep": "._publish",
    "ReportStep": "._publishing",
    "Reveal": "._draws",
    "YearDemoResult": ".yeardemo",
    "YearStatusStep": "._year",
    "demo_summary": ".demo",
    "inspector_names": "._publishing",
    "progress_to": "._progress",
    "read_amendments": "._amend",
    "run_amend": "._amend",
    "run_assign": "._staffing",
    "run_capacity": "._capacity",
    "run_commit": "._draws",
    "run_demo": ".demo",
    "run_draw": "._draws",
    "run_import": "._import",
    "run_ledger_add": "._ledger",
    "run_ledger_export": "._ledger",
    "run_ledger_verify": "._ledger",
    "run_notices": "._publishing",
    "run_officer_proof": "._officer",
    "run_page": "._publishing",
    "run_prove": "._checking",
    "run_publish": "._publish",
    "run_report": "._publishing",
    "run_verify": "._checking",
    "run_verify_officer_proof": "._officer",
    "run_verify_proof": "._checking",
    "run_year_demo": ".yeardemo",
    "run_year_status": "._year",
    "write_example_city": ".demo",
    "write_example_year": ".yeardemo",
    "write_ledger_view": "._year",
    "year_files": "._year",
}
__all__ = [
    "AmendStep",
    "AssignStep",
    "AssignmentFiles",
    "CapacityStep",
    "CommitStep",
    "DemoResult",
    "DrawStep",
    "ImportStep",
    "LedgerAddStep",
    "NoticesStep",
    "ProgressListener",
    "ProveStep",
    "PublishStep",
    "ReportStep",
    "Reveal",
    "YearDemoResult",
    "YearStatusStep",
    "demo_summary",
    "inspector_names",
    "progress_to",
    "read_amendments",
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
    "write_example_city",
    "write_example_year",
    "write_ledger_view",
    "year_files",
]
__getattr__, __dir__ = attach(__name__, _EXPORTS)
