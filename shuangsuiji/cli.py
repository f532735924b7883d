"""The ``shuangsuiji`` command line.

Every command prints errors of the library (bad input) as one clear message
without a traceback and exits with status 2; a failed verification exits with
1; a bug (``InternalError``) exits with 3. ``shuangsuiji COMMAND --help``
lists each command's options (docs/cli.md describes them all).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import sys
from collections.abc import Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd

from ._version import __version__
from .assignment.inputs import load_assignment_inputs
from .assignment.manifest import write_assignment
from .ceremony import (
    CeremonyError,
    check_beacon_value,
    check_inputs_against,
    check_secret,
    derive_seed,
    make_commitment,
    new_secret,
    read_commitment,
)
from .engines import Engine, get_engine
from .exceptions import (
    MAX_LISTED_PROBLEMS,
    HistoryError,
    InputError,
    InternalError,
    Problem,
    ShuangsuijiError,
    TableError,
)
from .exclusions import History, check_history
from .io import atomic_write_bytes, atomic_write_text, read_allow_list, read_table, write_csv
from .manifest import InputFile, canonical_json, write_draw
from .notices import ResultsError, check_results, plan_notice, result_notice, task_notice, write_notice
from .plan import Plan, load_plan, parse_plan, parse_window
from .population import Population
from .roster import RosterError
from .sampling import DrawResult, ticket
from .seed import Seed, check_seed
from .uscc import uscc_problem
from .verify import make_proof, verify_draw, verify_proof
from .workdays import WorkCalendar, read_overrides

__all__ = ["main"]

#: Seed of the demo: SHA-256 of the text "shuangsuiji demo" (printf '%s' 'shuangsuiji demo' | sha256sum).
DEMO_SEED = "35a66f294948a664832278ed95207fae69a118da60671d1b54a59ae247268846"


def _write_problems(exc: TableError, out: str | None) -> str:
    """Write all problems of a long list to OUT/problems.csv; returns a note for the message."""
    if out is None or len(exc.problems) <= MAX_LISTED_PROBLEMS:
        return ""
    frame = pd.DataFrame([vars(p) for p in exc.problems], columns=list(Problem.__dataclass_fields__))
    path = Path(out) / "problems.csv"
    write_csv(frame, path)
    return f"\nAll {len(exc.problems)} problems are listed in {path}."


def _print_summary(result: DrawResult) -> None:
    cols = ["task_id", "department", "eligible", "excluded", "sample", "floor_binding"]
    table = result.summary[cols].copy()
    table["floor_binding"] = table["floor_binding"].map({True: "floor", False: ""})
    print(table.to_string(index=False))


def _engine(args: argparse.Namespace) -> Engine:
    return get_engine(args.engine, scheduler=args.scheduler, workers=args.workers, partition_rows=args.partition_rows)


def _load_inputs(args: argparse.Namespace) -> tuple[Plan, Population | Any, History | None, dict[str, Path]]:
    """Read and check the plan, population, history and allow-list named on the command line.

    With ``--engine dask`` the population comes back as a Dask DataFrame (a
    Parquet file is read by partitions on the workers; other files in memory),
    checked by the draw itself.
    """
    plan = load_plan(args.plan)
    allow = read_allow_list(args.allow_list) if args.allow_list else frozenset()
    population = _engine(args).load(args.population, plan, encoding=args.encoding, sheet=args.sheet, allow_list=allow)
    history = None
    if args.history:
        history = check_history(read_table(args.history, error=HistoryError), source=args.history, allow_list=allow)
    files = {"population": Path(args.population), "plan": Path(args.plan)}
    if args.history:
        files["history"] = Path(args.history)
    if args.allow_list:
        files["allow_list"] = Path(args.allow_list)
    return plan, population, history, files


def _input_records(args: argparse.Namespace, files: dict[str, Path], out: Path) -> dict[str, InputFile]:
    records = {role: InputFile.of(path, out) for role, path in files.items()}
    records["population"] = InputFile.of(files["population"], out, encoding=args.encoding, sheet=args.sheet)
    return records


def _population_record(args: argparse.Namespace, plan: Plan, population: Population | Any) -> dict[str, Any]:
    """The population's Merkle record: streamed from a sorted Parquet file with ``--engine dask``."""
    allow = read_allow_list(args.allow_list) if args.allow_list else frozenset()
    return _engine(args).population_record(population, plan, path=args.population, allow_list=allow)


def _cmd_commit(args: argparse.Namespace) -> int:
    out = Path(args.out)
    plan, population, _, files = _load_inputs(args)
    secret = None if args.no_secret else new_secret()
    inputs = {role: rec.to_dict() for role, rec in _input_records(args, files, out).items()}
    record = _population_record(args, plan, population)
    content = make_commitment(plan, None, inputs, beacon=args.beacon, secret=secret, population_record=record)
    data = canonical_json(content)
    atomic_write_bytes(out / "commitment.json", data)
    digest = hashlib.sha256(data).hexdigest()
    atomic_write_bytes(out / "commitment.sha256", f"{digest}  commitment.json\n".encode())
    print(f"Wrote {out}/commitment.json (SHA-256 {digest}).")
    print(f"Population: {record['rows']:,} entities, Merkle root {record['merkle_root']}.")
    print(f"Beacon to wait for: {content['beacon']['name']}")
    if secret is not None:
        atomic_write_text(out / "secret.txt", secret.hex() + "\n", mode=0o600)
        print(
            f"warning: {out}/secret.txt holds the secret (readable by you only). Keep it private until the draw, "
            "and do not lose it: the draw cannot be made without it.",
            file=sys.stderr,
        )
    print("Publish commitment.json now, before the beacon value exists.")
    return 0


def _ceremony_seed(
    args: argparse.Namespace, files: dict[str, Path], out: Path
) -> tuple[str, dict[str, object], dict[str, object]]:
    """Seed, seed record and population record of a draw made from a commitment."""
    commitment = read_commitment(args.commitment)
    check_inputs_against(commitment, files)
    if not args.beacon_value:
        raise CeremonyError(
            f"Give the value of '{commitment.content['beacon']['name']}' as published, with --beacon-value."
        )
    secret = check_secret(Path(args.secret).read_text(encoding="utf-8")) if args.secret else None
    if commitment.secret_sha256 is not None and secret is None:
        raise CeremonyError("This commitment was made with a secret: give it with --secret FILE (secret.txt).")
    if commitment.secret_sha256 is None and secret is not None:
        raise CeremonyError("This commitment was made without a secret (beacon only); drop --secret.")
    if secret is not None and hashlib.sha256(secret).hexdigest() != commitment.secret_sha256:
        raise CeremonyError("The secret does not match the commitment's SHA-256(secret); is it the right file?")
    beacon_value = check_beacon_value(args.beacon_value)
    seed = derive_seed(commitment.sha256, beacon_value, secret=secret)
    record: dict[str, object] = {
        "mode": "commit-reveal" if secret is not None else "beacon",
        "commitment": InputFile.of(args.commitment, out).to_dict(),
        "beacon": {"name": commitment.content["beacon"]["name"], "value": beacon_value},
    }
    if secret is not None:
        record["secret"] = secret.hex()  # revealed now, so that anyone can recompute the seed
    return seed, record, dict(commitment.content["population"])


def _cmd_draw(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if (args.seed is None) == (args.commitment is None):
        raise InputError("Give either --seed HEX, or --commitment FILE with --beacon-value (and --secret FILE).")
    if args.commitment is None and (args.beacon_value or args.secret):
        raise InputError("--beacon-value and --secret go with --commitment.")
    plan, population, history, files = _load_inputs(args)
    inputs = _input_records(args, files, out)
    if args.commitment is None:
        seed = check_seed(args.seed)
        seed_record: dict[str, object] = {"mode": "seed"}
        pop_record: dict[str, object] = _population_record(args, plan, population)
    else:
        seed, seed_record, pop_record = _ceremony_seed(args, files, out)
    allow = read_allow_list(args.allow_list) if args.allow_list else frozenset()
    engine = _engine(args)
    with engine.session():
        result = engine.draw(population, plan, Seed.of(seed), history=history, allow_list=allow, workers=None)
    digest = write_draw(result, out, inputs=inputs, seed_record=seed_record, population_record=pop_record)
    _print_summary(result)
    for w in result.warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"\nSeed ({seed_record['mode']}): {seed}")
    print(f"Wrote {out}/: selection.csv, allocation.csv, excluded.csv, summary.csv, manifest.json")
    print(f"manifest SHA-256: {digest}")
    return 0


def _cmd_assign(args: argparse.Namespace) -> int:
    draw_dir, out = Path(args.draw), Path(args.out)
    files = {"population": Path(args.population), "roster": Path(args.roster)}
    for role in ("conflicts", "requests", "relations", "pairs", "history", "calendar"):
        value = getattr(args, role if role != "calendar" else "calendar_overrides")
        if value:
            files[role] = Path(value)
    window = parse_window(args.window, "--window") if args.window else None
    inputs = load_assignment_inputs(draw_dir, files, seed=check_seed(args.seed) if args.seed else None, window=window)
    result = inputs.solve(allow_partial=args.allow_partial)
    digest = write_assignment(
        result,
        out,
        draw_manifest=InputFile.of(draw_dir / "manifest.json", out).to_dict(),
        seed=inputs.seed,
        policy=inputs.policy,
        allow_partial=args.allow_partial,
        inputs={role: InputFile.of(path, out) for role, path in files.items()},
    )
    status = result.visits["status"].value_counts()
    staffed, undated = int(status.get("staffed", 0)), int(status.get("undated", 0))
    print(
        f"{staffed} of {len(result.visits)} visits staffed"
        + (f" and dated, {undated} staffed but undated" if undated else "")
        + f"; {len(result.teams)} places filled."
    )
    if len(result.unstaffed):
        print(f"warning: {result.unstaffed['visit_id'].nunique()} visits wait (unstaffed.csv).", file=sys.stderr)
    loads = result.workload[result.workload["kind"] == "officer"]["visits"]
    if len(loads):
        print(f"Officers' loads: min {loads.min()}, median {int(loads.median())}, max {loads.max()}.")
    print(f"Wrote {out}/: visits.csv, teams.csv, workload.csv, unstaffed.csv, certificate.csv, assignment.json")
    print(f"assignment SHA-256: {digest}")
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    with contextlib.ExitStack() as stack:
        if args.engine == "dask":
            stack.enter_context(_engine(args).session())
        result = verify_draw(
            args.dir,
            population=args.population,
            plan=args.plan,
            history=args.history,
            allow_list=args.allow_list,
            commitment=args.commitment,
            engine=args.engine,
            partition_rows=args.partition_rows,
        )
    print(result)
    failed = sum(not c.ok for c in result.checks)
    verdict = "VERIFIED" if result.ok else "NOT VERIFIED"
    print(f"\n{verdict}: {len(result.checks) - failed} checks passed, {failed} failed.")
    return 0 if result.ok else 1


def _cmd_prove(args: argparse.Namespace) -> int:
    proof = make_proof(
        args.dir,
        args.uscc,
        population=args.population,
        allow_list=args.allow_list,
        stream=args.engine == "dask",
        batch_rows=args.partition_rows,
    )
    out = Path(args.out) if args.out else Path(args.dir) / f"proof-{args.uscc}.json"
    atomic_write_bytes(out, json.dumps(proof, ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
    for task in proof["tasks"]:
        print(f"{task['task_id']}: {task['outcome']}  ticket {task['ticket']}")
    print(f"Wrote {out}")
    return 0


def _cmd_verify_proof(args: argparse.Namespace) -> int:
    try:
        proof = json.loads(Path(args.proof).read_bytes())
    except json.JSONDecodeError as exc:
        raise InputError(f"{args.proof}: not a JSON proof ({exc}).") from None
    result = verify_proof(proof, Path(args.manifest).read_bytes())
    print(result)
    print(f"\n{'VERIFIED' if result.ok else 'NOT VERIFIED'}")
    return 0 if result.ok else 1


def _cmd_page(args: argparse.Namespace) -> int:
    out = Path(args.out)
    atomic_write_bytes(out, files("shuangsuiji").joinpath("data/verify.html").read_bytes())
    print(f"Wrote {out}: open it in a browser (no server, no network), load manifest.json and enter a code.")
    return 0


def _cmd_notices(args: argparse.Namespace) -> int:
    folder, out = Path(args.dir), Path(args.out)
    manifest = json.loads((folder / "manifest.json").read_bytes())
    plan = parse_plan(manifest["plan"], source=str(folder / "manifest.json"))
    selection = pd.read_csv(folder / "selection.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    names = _inspector_names(folder) if args.publish_inspector_names else None
    written = write_notice(plan_notice(plan), out, "抽查计划公告")
    written += write_notice(task_notice(plan, selection, names), out, "抽查任务公告")
    if args.results:
        results = check_results(read_table(args.results, error=ResultsError), selection, source=args.results)
        calendar = WorkCalendar(read_overrides(args.calendar_overrides) if args.calendar_overrides else None)
        notice, pending = result_notice(
            plan, selection, results, calendar=calendar, working_days=args.working_days, teams=names
        )
        written += write_notice(notice, out, "抽查结果公告")
        write_csv(pending, out / "pending.csv")
        written.append(out / "pending.csv")
        if len(pending):
            print(
                f"warning: {len(pending)} drawn entities have no result yet (listed in pending.csv).", file=sys.stderr
            )
    for path in written:
        print(f"Wrote {path}")
    return 0


def _inspector_names(folder: Path) -> pd.DataFrame:
    """``uscc, department, names`` of the officers on each visit (only when a bureau publishes names)."""
    if not (folder / "assignment.json").exists():
        raise InputError(f"{folder} holds no assignment (assignment.json); run 'shuangsuiji assign' first.")
    manifest = json.loads((folder / "assignment.json").read_bytes())
    roster = read_table(folder / manifest["inputs"]["roster"]["path"], error=RosterError)
    name = dict(zip(roster["inspector_id"], roster["name"], strict=True))
    teams = pd.read_csv(folder / "teams.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    teams = teams[teams["role"] != "expert"]
    grouped = teams.groupby(["visit_id", "department"])["inspector_id"].apply(lambda s: "、".join(name[i] for i in s))
    out = grouped.reset_index().rename(columns={"inspector_id": "names"})
    out["uscc"] = out["visit_id"].str[1:]
    return out[["uscc", "department", "names"]]


def _cmd_ticket(args: argparse.Namespace) -> int:
    for code in args.uscc:
        print(f"{ticket(check_seed(args.seed), args.scope, code)}  {code}")
    return 0


def _cmd_check_uscc(args: argparse.Namespace) -> int:
    bad = 0
    for code in args.code:
        problem = uscc_problem(code)
        print(f"{code}: {'valid' if problem is None else problem}")
        bad += problem is not None
    return 1 if bad else 0


def _cmd_example(args: argparse.Namespace) -> int:
    from .demo import write_example_city

    paths = write_example_city(args.out, entities=args.entities, seed=args.seed)
    for role, path in paths.items():
        print(f"{role}: {path}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from .demo import run_demo

    console = Console()
    console.print(f"A batch on a synthetic city of {args.entities:,} entities, written to {args.out}/ ...")
    with console.status("starting") as status:
        result = run_demo(args.out, entities=args.entities, progress=status.update)
    table = Table(title=f"shuangsuiji demo ({result.seconds:.0f} s)")
    table.add_column("figure")
    table.add_column("value")
    for figure, value in result.summary.itertuples(index=False):
        table.add_row(str(figure), str(value))
    table.add_row("verify", "VERIFIED: every check passed" if result.verified else "NOT VERIFIED")
    console.print(table)
    out = Path(args.out)
    console.print(
        f"Inputs: {out / 'inputs'}/   Published: {out / 'publish'}/ (commitment, draw, assignment, notices, "
        f"verify.html)   Report: {out / 'report' / 'report.html'}"
    )
    return 0 if result.verified else 1


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import cjk_font, write_report

    path = write_report(args.dir, args.out or Path(args.dir) / "report")
    if cjk_font() is None:
        print("warning: no CJK font found; figures are labelled in English (install fonts-noto-cjk)", file=sys.stderr)
    print(f"Wrote {path}")
    return 0


def _engine_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine",
        choices=("memory", "dask"),
        default="memory",
        help="memory (default): one machine; dask: partitions on a Dask cluster, same result (docs/scale.md)",
    )
    p.add_argument("--scheduler", help="address of a Dask scheduler (default: a local cluster of this machine)")
    p.add_argument("--workers", type=int, help="worker processes of the local cluster (default: the CPUs)")
    p.add_argument("--partition-rows", type=int, default=1 << 20, help="rows per partition or batch (default 1048576)")


def _input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--population", required=True, help="entities: CSV (UTF-8 or GB18030), XLSX or Parquet")
    p.add_argument("--plan", required=True, help="plan TOML file (see docs/plan.md)")
    p.add_argument("--history", help="inspection history: uscc, department, date[, kind]")
    p.add_argument("--allow-list", help="legacy codes accepted although they fail the GB 32100 check")
    p.add_argument("--encoding", help="force the CSV encoding (default: UTF-8, else GB18030)")
    p.add_argument("--sheet", help="XLSX sheet to read (default: the first)")


def _recorded_inputs(p: argparse.ArgumentParser, *names: str) -> None:
    """Options for input files whose default is the path the draw's manifest records."""
    for name in names:
        p.add_argument(f"--{name}", help=f"the {name} file (default: as the manifest records)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``shuangsuiji`` command."""
    parser = argparse.ArgumentParser(
        prog="shuangsuiji",
        description="Verifiable 双随机、一公开 random inspections: draw targets reproducibly from a published seed.",
    )
    parser.add_argument("--version", action="version", version=f"shuangsuiji {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "commit",
        help="publish a commitment before the draw",
        description="Commit to the plan, the inputs and a secret before the beacon value exists (docs/ceremony.md).",
    )
    _input_options(p)
    p.add_argument("--beacon", required=True, help="the future public random value, e.g. 'drand quicknet round 1234'")
    p.add_argument("--out", required=True, help="folder for commitment.json and secret.txt")
    p.add_argument("--no-secret", action="store_true", help="beacon-only ceremony: no secret")
    _engine_options(p)
    p.set_defaults(func=_cmd_commit)

    p = sub.add_parser("draw", help="draw the inspection targets of a plan", description="Draw every task of a plan.")
    _input_options(p)
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--seed", help="64 lowercase hex digits (a notebook or a test; no ceremony)")
    p.add_argument("--commitment", help="commitment.json published before the beacon (see 'commit')")
    p.add_argument("--beacon-value", help="the public random value named in the commitment, as published")
    p.add_argument("--secret", help="secret.txt written by 'commit' (omit for a beacon-only commitment)")
    _engine_options(p)
    p.set_defaults(func=_cmd_draw)

    p = sub.add_parser(
        "assign",
        help="staff the visits of a draw with inspectors",
        description="Merge a draw into visits and staff them from the roster (docs/assignment.md).",
    )
    p.add_argument("--draw", required=True, help="the draw's folder (manifest.json, selection.csv)")
    p.add_argument("--population", required=True, help="the population the draw used (regions, stations, names)")
    p.add_argument("--roster", required=True, help="inspectors and experts (执法检查人员名录库, 专家库)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--seed", help="64 hex digits (default: the draw's seed)")
    p.add_argument("--conflicts", help="declared conflicts: inspector_id, uscc, reason")
    p.add_argument("--requests", help="entities' recusal requests: uscc, inspector_id[, reason]")
    p.add_argument("--relations", help="relation graph: a, b, relation")
    p.add_argument("--pairs", help="officers who must not share a team: a, b")
    p.add_argument("--history", help="inspection history with an inspectors column (rotation)")
    p.add_argument("--window", help="inspection window, e.g. 2027-03-01:2027-03-31 (dates are scheduled)")
    p.add_argument("--calendar-overrides", help="holidays and 调休 working days for years chinese-calendar lacks")
    p.add_argument("--allow-partial", action="store_true", help="staff what can be staffed and list the rest")
    p.set_defaults(func=_cmd_assign)

    p = sub.add_parser("verify", help="check a published draw", description="Recompute and check a published draw.")
    p.add_argument("dir", help="the draw's folder (with manifest.json)")
    _recorded_inputs(p, "population", "plan", "history", "allow-list", "commitment")
    _engine_options(p)
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("prove", help="write one entity's proof", description="Write the proof of one entity's fate.")
    p.add_argument("dir", help="the draw's folder (with manifest.json)")
    p.add_argument("--uscc", required=True, help="the entity's code")
    p.add_argument("--out", help="proof file (default: DIR/proof-USCC.json)")
    _recorded_inputs(p, "population", "allow-list")
    p.add_argument(
        "--engine",
        choices=("memory", "dask"),
        default="memory",
        help="dask: stream a population too large for memory (Parquet sorted by uscc) in batches",
    )
    p.add_argument("--partition-rows", type=int, default=1 << 20, help="rows per batch (default 1048576)")
    p.set_defaults(func=_cmd_prove)

    p = sub.add_parser(
        "verify-proof", help="check one entity's proof", description="Check a proof against the public manifest alone."
    )
    p.add_argument("proof", help="proof JSON written by 'prove'")
    p.add_argument("--manifest", required=True, help="the draw's public manifest.json")
    p.set_defaults(func=_cmd_verify_proof)

    p = sub.add_parser(
        "demo",
        help="run the whole job on a synthetic example city",
        description="Run a whole batch on a synthetic city: commit, draw, assign, notices, verify, report.",
    )
    p.add_argument("--out", default="demo-out", help="output folder (default: demo-out)")
    p.add_argument("--entities", type=int, default=200_000, help="entities in the synthetic city (default: 200000)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser(
        "report", help="write an HTML report of a draw", description="Write report.html and PNG figures."
    )
    p.add_argument("dir", help="the draw's folder")
    p.add_argument("--out", help="folder for the report (default: DIR/report)")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("example", help="write example input files", description="Write a synthetic city's inputs.")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--entities", type=int, default=10_000, help="number of entities (default: 10000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generator (default: 0)")
    p.set_defaults(func=_cmd_example)

    p = sub.add_parser(
        "notices",
        help="write the public notices of a draw",
        description="Write 抽查计划公告, 抽查任务公告 and (with --results) 抽查结果公告 as CSV, XLSX and HTML.",
    )
    p.add_argument("dir", help="the draw's folder (with manifest.json and selection.csv)")
    p.add_argument("--out", required=True, help="folder for the notices")
    p.add_argument("--results", help="results filled in by inspectors: task_id, uscc, result, completed")
    p.add_argument("--working-days", type=int, default=20, help="publication deadline in working days (default: 20)")
    p.add_argument("--calendar-overrides", help="holidays and 调休 working days for years chinese-calendar lacks")
    p.add_argument(
        "--publish-inspector-names",
        action="store_true",
        help="add the inspectors' names (needs the assignment in DIR); conflict declarations are never published",
    )
    p.set_defaults(func=_cmd_notices)

    p = sub.add_parser(
        "page",
        help="write the offline verification page",
        description="Write verify.html: a static page where anyone checks a code against a published manifest.",
    )
    p.add_argument("--out", default="verify.html", help="file to write (default: verify.html)")
    p.set_defaults(func=_cmd_page)

    p = sub.add_parser("ticket", help="compute tickets by hand", description="Print SHA-256(seed:scope:uscc) of codes.")
    p.add_argument("--seed", required=True, help="64 lowercase hex digits")
    p.add_argument("--scope", required=True, help="plan id, or plan_id.task_id for an independent task")
    p.add_argument("uscc", nargs="+", help="codes")
    p.set_defaults(func=_cmd_ticket)

    p = sub.add_parser("check-uscc", help="check unified social credit codes", description="Check codes (GB 32100).")
    p.add_argument("code", nargs="+", help="codes to check")
    p.set_defaults(func=_cmd_check_uscc)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except InternalError as exc:
        print(f"internal error (a bug in shuangsuiji, please report it): {exc}", file=sys.stderr)
        return 3
    except TableError as exc:
        print(f"error: {exc}{_write_problems(exc, getattr(args, 'out', None))}", file=sys.stderr)
        return 2
    except ShuangsuijiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
