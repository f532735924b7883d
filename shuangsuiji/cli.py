"""The ``shuangsuiji`` command line: it parses, calls the workflow, and prints.

Every command prints errors of the library (bad input) as one clear message
without a traceback and exits with status 2; a failed verification exits with
1; a bug (``InternalError``) exits with 3. ``shuangsuiji COMMAND --help``
lists each command's options (docs/cli.md describes them all).

The commands live in a table; the module that runs one
(:mod:`shuangsuiji._commands`) and the library behind it are imported only
once a command is chosen, so ``shuangsuiji --help`` and ``--version`` load
neither pandas nor numpy.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ._capacity_commands import capacity_options
from ._cli_options import (
    ROWS as _ROWS,
    assignment_inputs,
    beacon as _beacon,
    draw_folder as _draw_folder,
    engine as _engine,
    force as _force,
    inputs as _inputs,
    leaf_format as _leaf_format,
    recorded as _recorded,
    salt_key as _salt_key,
    salt_key_out as _salt_key_out,
    secret_out as _secret_out,
    staffing as _staffing,
)
from ._cli_output import dumps, running
from ._cli_parser import Parser, script_options
from ._cli_year_options import (
    ledger_add as _ledger_add,
    ledger_export as _ledger_export,
    ledger_verify as _ledger_verify,
    year_commit as _year_commit,
    year_draw as _year_draw,
    year_status as _year_status,
)
from ._i18n import LANGUAGES, N_, _, set_language
from ._version import __version__

__all__ = ["main"]

_Options = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    """One command: its one-line help, its description and its options; it runs ``_commands.cmd_NAME``.

    A command with ``actions`` (``year draw``, ``ledger add``...) runs ``cmd_NAME_ACTION`` of its
    ``module`` (``_commands`` by default).
    """

    help: str
    description: str
    options: _Options | None = None
    actions: Mapping[str, Command] = field(default_factory=dict)
    module: str = "._commands"


def _commit(p: argparse.ArgumentParser) -> None:
    _inputs(p)
    _beacon(p)
    p.add_argument("--out", required=True, help=_("folder for commitment.json (to publish now)"))
    _staffing(p, required=False)
    _secret_out(p)
    _salt_key_out(p)
    _force(p, N_("the commitment"))
    _leaf_format(p)
    _engine(p)


def _draw(p: argparse.ArgumentParser) -> None:
    _inputs(p)
    p.add_argument("--out", required=True, help=_("output folder"))
    p.add_argument("--seed", help=_("64 lowercase hex digits (a notebook or a test; no ceremony)"))
    p.add_argument("--commitment", help=_("commitment.json published before the beacon (see 'commit')"))
    p.add_argument("--beacon-value", help=_("the public random value named in the commitment, as published"))
    p.add_argument("--secret", help=_("secret.txt written by 'commit' (omit for a beacon-only commitment)"))
    _force(p, N_("the draw, assignment and proofs"))
    _leaf_format(p)
    _salt_key(p)
    _engine(p)


def _assign(p: argparse.ArgumentParser) -> None:
    _draw_folder(p)
    _force(p, N_("the assignment"))
    assignment_inputs(p)
    p.add_argument("--out", help=_("output folder (default: the draw's folder, beside the draw)"))
    p.add_argument("--seed", help=_("64 hex digits (default: the draw's seed; refused for a committed draw)"))
    p.add_argument("--allow-partial", action="store_true", help=_("staff what can be staffed and list the rest"))


def _verify(p: argparse.ArgumentParser) -> None:
    _draw_folder(p)
    _recorded(p, "population", "plan", "history", "allow-list", "commitment")
    _salt_key(p)
    p.add_argument(
        "--published-only",
        action="store_true",
        help=_("a public folder as the public sees it: never read the inputs the bureau withheld, even if found"),
    )
    p.add_argument(
        "--results", help=_("the inspectors' results file the 抽查结果公告 was made from (checks its SHA-256)")
    )
    _engine(p)


def _prove(p: argparse.ArgumentParser) -> None:
    _draw_folder(p)
    p.add_argument("--uscc", required=True, help=_("the entity's code"))
    p.add_argument("--out", help=_("proof file (default: DRAW/proof-USCC.json)"))
    _salt_key(p)
    _recorded(p, "population", "allow-list")
    p.add_argument(
        "--stream",
        action="store_true",
        help=_("read a population too large for memory (Parquet sorted by uscc) in batches: the same proof"),
    )
    p.add_argument(
        "--batch-rows", type=int, default=_ROWS, help=_("rows per streamed batch (default {rows})").format(rows=_ROWS)
    )


def _verify_proof(p: argparse.ArgumentParser) -> None:
    p.add_argument("proof", help=_("proof JSON written by 'prove'"))
    p.add_argument("--manifest", required=True, help=_("the draw's public manifest.json"))


def _demo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="demo-out", help=_("output folder (default: demo-out)"))
    p.add_argument("--entities", type=int, default=200_000, help=_("entities in the synthetic city (default: 200000)"))
    p.add_argument(
        "--year",
        action="store_true",
        help=_("run a whole year instead: four batches, each drawn, staffed, done and posted, with the ledger"),
    )


def _report(p: argparse.ArgumentParser) -> None:
    _draw_folder(p)
    p.add_argument("--out", help=_("folder for the report (default: DRAW/report)"))


def _example(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help=_("output folder"))
    p.add_argument("--entities", type=int, default=10_000, help=_("number of entities (default: 10000)"))
    p.add_argument("--seed", type=int, default=0, help=_("seed of the generator (default: 0)"))


def _notices(p: argparse.ArgumentParser) -> None:
    p.add_argument("draw", metavar="DRAW", nargs="?", help=_("the draw's folder (with manifest.json); or give --plan"))
    p.add_argument("--plan", help=_("a plan file instead of DRAW: the plan notice alone, posted before the draw"))
    p.add_argument("--out", required=True, help=_("folder for the notices"))
    p.add_argument("--templates", help=_("folder of notice templates replacing the shipped ones by name"))
    p.add_argument("--notice-settings", help=_("the bureau's notice.toml: bureau, date, letterhead, preamble, contact"))
    p.add_argument("--results", help=_("results filled in by inspectors: task_id, uscc, result, completed"))
    p.add_argument("--working-days", type=int, default=20, help=_("publication deadline in working days (default: 20)"))
    p.add_argument("--calendar-overrides", help=_("holidays and 调休 working days for years chinese-calendar lacks"))
    p.add_argument(
        "--publish-inspector-names",
        action="store_true",
        help=_("add the inspectors' names (needs the assignment in DRAW); conflict declarations are never published"),
    )
    _force(p, N_("the notices"))


def _page(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default="verify.html", help=_("file to write (default: verify.html)"))


def _ticket(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", required=True, help=_("64 lowercase hex digits"))
    p.add_argument("--scope", required=True, help=_("plan id, or plan_id.task_id for an independent task"))
    p.add_argument("uscc", nargs="+", help=_("codes"))


def _import(p: argparse.ArgumentParser) -> None:
    p.add_argument("--entities", help=_("the entity export (检查对象名录库): CSV, XLS, XLSX or Parquet"))
    p.add_argument("--inspectors", help=_("the inspector roster (执法检查人员名录库): CSV, XLS or XLSX"))
    p.add_argument("--items", help=_("the inspection items list (抽查事项清单): XLS or XLSX"))
    p.add_argument("--joint", help=_("the joint items list (部门联合抽查事项清单): XLS or XLSX"))
    p.add_argument("--columns", help=_("a column map (map.toml): the bureau's own headers and default values"))
    p.add_argument("--plan-id", default="IMPORTED", help=_("the id of the plan written from the items list"))
    p.add_argument("--sheet", help=_("the entity export's sheet: a name or a number from 1 (default: the first)"))
    p.add_argument("--header-row", type=int, help=_("the entity export's header row, counted from 1 (default: found)"))
    p.add_argument("--out", required=True, help=_("folder for the cleaned inputs and the triage report"))


def _check_uscc(p: argparse.ArgumentParser) -> None:
    p.add_argument("code", nargs="+", help=_("codes to check"))


def _import_items(p: argparse.ArgumentParser) -> None:
    p.add_argument("items", metavar="ITEMS", help=_("the items list (抽查事项清单), .xls or .xlsx (docs/items.md)"))
    p.add_argument("--joint", help=_("the joint items list (部门联合抽查事项清单), .xls or .xlsx"))
    p.add_argument("--sheet", help=_("the items list's sheet, by name or number from 1 (default: the first)"))
    p.add_argument("--header-row", type=int, help=_("the items list's header row as Excel numbers it (default: found)"))
    p.add_argument("--joint-sheet", help=_("the joint list's sheet (default: the first)"))
    p.add_argument("--joint-header-row", type=int, help=_("the joint list's header row (default: found)"))
    p.add_argument("--plan-id", required=True, help=_("the plan's id, [A-Za-z0-9._-]{1,64}"))
    p.add_argument("--title", help=_("the plan's title (抽查计划名称)"))
    p.add_argument("--ratio", help=_("the ratio written where the list gives none, marked 待填写 (default 0.05)"))
    p.add_argument("--floor", help=_("the plan's floor for general items (default 0.05)"))
    p.add_argument("--out", dest="out_file", required=True, help=_("the plan file to write (plan.toml)"))


#: Every command, in the order ``--help`` lists them.
COMMANDS: dict[str, Command] = {
    "commit": Command(
        N_("publish a commitment before the draw"),
        N_("Commit to the plan, the inputs and a secret before the beacon value exists (docs/ceremony.md)."),
        _commit,
    ),
    "draw": Command(N_("draw the inspection targets of a plan"), N_("Draw every task of a plan."), _draw),
    "assign": Command(
        N_("staff the visits of a draw with inspectors"),
        N_("Merge a draw into visits and staff them from the roster (docs/assignment.md)."),
        _assign,
    ),
    "capacity": Command(
        N_("the smallest roster change that staffs every visit"),
        N_(
            "Per region and department: what the roster lacks to staff every visit of a draw, in numbers, the "
            "people to add (confirmed by the solver) and what cross-station mode costs (docs/capacity.md)."
        ),
        capacity_options,
        module="._capacity_commands",
    ),
    "verify": Command(N_("check a published draw"), N_("Recompute and check a published draw."), _verify),
    "prove": Command(N_("write one entity's proof"), N_("Write the proof of one entity's fate."), _prove),
    "verify-proof": Command(
        N_("check one entity's proof"), N_("Check a proof against the public manifest alone."), _verify_proof
    ),
    "demo": Command(
        N_("run the whole job on a synthetic example city"),
        N_("Run a whole batch on a synthetic city: commit, draw, assign, notices, verify, report."),
        _demo,
    ),
    "report": Command(N_("write an HTML report of a draw"), N_("Write report.html and PNG figures."), _report),
    "example": Command(N_("write example input files"), N_("Write a synthetic city's inputs."), _example),
    "notices": Command(
        N_("write the public notices of a plan or a draw"),
        N_(
            "Write 抽查计划公告 (from --plan alone, before the draw), 抽查任务公告 and (with --results) 抽查结果公告 "
            "as CSV, XLSX and HTML, and the export for the national system (docs/notices.md)."
        ),
        _notices,
        module="._notice_commands",
    ),
    "page": Command(
        N_("write the offline verification page"),
        N_("Write verify.html: a static page where anyone checks a code against a published manifest."),
        _page,
    ),
    "year": Command(
        N_("draw a year's batch, and see how far the year is"),
        N_("An annual plan in batches, its target held over the year (docs/year.md)."),
        actions={
            "commit": Command(
                N_("commit to a batch before its beacon"),
                N_("Read the ledger's view and commit to it with the batch's inputs."),
                _year_commit,
            ),
            "draw": Command(
                N_("draw a batch of the year"),
                N_(
                    "Draw a batch: each general task takes what the year's target asks of it, "
                    "leaving out firms drawn earlier in the year and those at their caps."
                ),
                _year_draw,
            ),
            "status": Command(
                N_("how far the year is against its target"),
                N_("Per general task: drawn, staffed, dated, done and published, against the year's target."),
                _year_status,
            ),
        },
        module="._year_commands",
    ),
    "ledger": Command(
        N_("keep the inspection ledger"),
        N_("The inspection ledger: every check of the year, hash-chained (docs/ledger.md)."),
        actions={
            "add": Command(
                N_("add a draw, its assignment, results or checks"),
                N_("Add to the ledger in one all-or-nothing append."),
                _ledger_add,
            ),
            "export": Command(N_("export the ledger"), N_("Write the ledger as CSV, XLSX or Parquet."), _ledger_export),
            "verify": Command(
                N_("check the ledger's chain"),
                N_("Recompute the hash chain, and check each year's batch against the ledger."),
                _ledger_verify,
            ),
        },
        module="._year_commands",
    ),
    "import": Command(
        N_("import a bureau's 两库一单 as it keeps them"),
        N_(
            "Read the entity export, the roster and the items lists as they are; write the cleaned inputs "
            "and a triage report in which every row read is accounted for (docs/inputs.md)."
        ),
        _import,
        module="._import_commands",
    ),
    "ticket": Command(N_("compute tickets by hand"), N_("Print SHA-256(seed:scope:uscc) of codes."), _ticket),
    "check-uscc": Command(N_("check unified social credit codes"), N_("Check codes (GB 32100)."), _check_uscc),
    "import-items": Command(
        N_("write a draft plan from the items list"),
        N_("Read 抽查事项清单 (and 部门联合抽查事项清单) and write plan.toml, one task per item (docs/items.md)."),
        _import_items,
        module="._items_commands",
    ),
}


def _template(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help=_("folder for the workbooks"))
    p.add_argument("--departments", help=_("the departments of the drop-downs, comma-separated (市场监管局,税务局)"))
    p.add_argument("--plan", help=_("a plan TOML file: its departments, credit classes and tiers fill the drop-downs"))
    p.add_argument("--draw", help=_("a published draw's folder: also write 检查结果录入表.xlsx pre-filled from it"))


COMMANDS["template"] = Command(
    N_("write blank input workbooks for clerks"),
    N_(
        "Write one XLSX template per input a clerk fills by hand, "
        "and with --draw a results workbook (docs/templates.md)."
    ),
    _template,
    module="._template_commands",
)


def _publish(p: argparse.ArgumentParser) -> None:
    _draw_folder(p)
    p.add_argument("--out", required=True, help=_("the public folder to write (a new folder)"))
    p.add_argument("--notices", help=_("the notices folder written by 'notices' (pending.csv is left out)"))
    p.add_argument(
        "--reveal", action="store_true", help=_("a sealed plan's draw: publish everything now (its day has come)")
    )
    _force(p, N_("the publication"))


COMMANDS["publish"] = Command(
    N_("assemble the folder the public gets"),
    N_(
        "Copy what anyone may see and check (commitment, manifest, tables, notices, verify.html, a guide in Chinese) "
        "into a new folder; the inputs stay with the bureau, and a folder holding a secret is refused."
    ),
    _publish,
    module="._publish_commands",
)


def _officer_proof(p: argparse.ArgumentParser) -> None:
    p.add_argument("commitment", metavar="COMMITMENT", help=_("commitment.json that binds the roster"))
    p.add_argument("--roster", required=True, help=_("the committed roster"))
    p.add_argument("--officer", required=True, help=_("the officer's inspector_id"))
    p.add_argument("--out", help=_("proof file (default: roster-proof-ID.json)"))


def _verify_officer_proof(p: argparse.ArgumentParser) -> None:
    p.add_argument("proof", help=_("roster proof written by 'officer-proof'"))
    p.add_argument("--commitment", required=True, help=_("the published commitment.json"))


COMMANDS["officer-proof"] = Command(
    N_("write an officer's proof of their roster entry"),
    N_(
        "Write the Merkle proof that the roster committed before the seed holds this officer's entry, with the "
        "fields the assignment reads (docs/ceremony.md)."
    ),
    _officer_proof,
    module="._officer_commands",
)
COMMANDS["verify-officer-proof"] = Command(
    N_("check an officer's roster proof"),
    N_("Check an officer's roster proof against the published commitment alone."),
    _verify_officer_proof,
    module="._officer_commands",
)


COMMANDS["amend"] = Command(
    N_("amend a staffed assignment: a late recusal, leave or departure"),
    N_(
        "Take an officer off the places a late recusal, leave or departure touches, fill each again by the seeded "
        "rule, and log the change in assignment.json (docs/amend.md)."
    ),
    lambda p: importlib.import_module("._amend_commands", __package__).amend_options(p),
    module="._amend_commands",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``shuangsuiji`` command."""
    parser = Parser(
        prog="shuangsuiji",
        description=_("Verifiable 双随机、一公开 random inspections: draw targets reproducibly from a published seed."),
    )
    version = _("show program's version number and exit")
    parser.add_argument("--version", action="version", version=f"shuangsuiji {__version__}", help=version)
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        help=_("the language of messages and help: zh (中文) or en; default from SHUANGSUIJI_LANG, then the locale"),
    )
    script_options(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        p = sub.add_parser(name, help=_(command.help), description=_(command.description))
        if command.options is not None:
            command.options(p)
        if command.actions:
            actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
            for action, inner in command.actions.items():
                q = actions.add_parser(action, help=_(inner.help), description=_(inner.description))
                if inner.options is not None:
                    inner.options(q)
                script_options(q)
        else:
            script_options(p)
    return parser


def _lang_option(argv: list[str]) -> str | None:
    """The ``--lang`` given before the command, read before the parser is built (its help is translated)."""
    for i, token in enumerate(argv):
        if not token.startswith("-"):
            break
        value = argv[i + 1] if token == "--lang" and i + 1 < len(argv) else token.partition("=")[2]
        if token == "--lang" or token.startswith("--lang="):
            return value if value in LANGUAGES else None  # a wrong value: argparse says so
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    set_language(_lang_option(sys.argv[1:] if argv is None else list(argv)))
    args = build_parser().parse_args(argv)
    commands = importlib.import_module("._commands", __package__)
    name = args.command + (f"_{args.action}" if getattr(args, "action", None) else "")
    module = importlib.import_module(COMMANDS[args.command].module, __package__)
    run: Callable[[argparse.Namespace], int] = getattr(module, "cmd_" + name.replace("-", "_"))
    as_json = bool(getattr(args, "json", False))
    with running(name.replace("_", " "), quiet=bool(getattr(args, "quiet", False)), as_json=as_json) as shown:
        status = int(commands.guarded(run, args))
    if as_json:
        print(dumps(shown.document(status)))
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
