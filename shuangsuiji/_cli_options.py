"""The command line's shared options (argparse only, so that ``shuangsuiji --help`` stays instant)."""

from __future__ import annotations

import argparse

__all__ = [
    "ROWS",
    "assignment_inputs",
    "draw_folder",
    "engine",
    "force",
    "inputs",
    "leaf_format",
    "reading",
    "recorded",
    "salt_key",
    "salt_key_out",
    "secret_out",
    "staffing",
]

#: Rows per Dask partition or streamed batch by default (``engines.DEFAULT_PARTITION_ROWS``).
ROWS = 1 << 20


def reading(p: argparse.ArgumentParser) -> None:
    p.add_argument("--allow-list", help="legacy codes accepted although they fail the GB 32100 check")
    p.add_argument("--encoding", help="force the CSV encoding (default: UTF-8, else GB18030)")
    p.add_argument("--sheet", help="XLSX sheet to read (default: the first)")


def inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--population", required=True, help="entities: CSV (UTF-8 or GB18030), XLSX or Parquet")
    p.add_argument("--plan", required=True, help="plan TOML file (see docs/plan.md)")
    p.add_argument("--history", help="inspection history: uscc, department, date[, kind]")
    reading(p)


def engine(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine",
        choices=("memory", "dask"),
        default="memory",
        help="memory (default): one machine; dask: partitions on a Dask cluster, same result (docs/scale.md)",
    )
    p.add_argument("--scheduler", help="address of a Dask scheduler (default: a local cluster of this machine)")
    p.add_argument("--workers", type=int, help="worker processes of the local cluster (default: the CPUs)")
    p.add_argument("--partition-rows", type=int, default=ROWS, help=f"rows per Dask partition (default {ROWS})")


def draw_folder(p: argparse.ArgumentParser) -> None:
    p.add_argument("draw", metavar="DRAW", help="the draw's folder (with manifest.json)")


def recorded(p: argparse.ArgumentParser, *names: str) -> None:
    """Options for input files whose default is the path the draw's manifest records."""
    for name in names:
        p.add_argument(f"--{name}", help=f"the {name} file (default: as the manifest records)")


def leaf_format(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--leaf-format",
        type=int,
        choices=(1, 2),
        default=2,
        help="the Merkle leaf format of the population (default 2; 1 writes what versions before it wrote)",
    )


def force(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--force", action="store_true", help=f"remove {what} of an earlier run from the folder first")


def secret_out(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--secret-out", metavar="FILE", help="where to keep the secret, outside --out (e.g. private/secret.txt)"
    )
    where.add_argument("--no-secret", action="store_true", help="beacon-only ceremony: no secret")


def staffing(p: argparse.ArgumentParser, *, required: bool) -> None:
    """The second random's inputs, named alike in ``commit`` (which binds them) and ``assign`` (which reads them)."""
    what = "inspectors and experts (执法检查人员名录库, 专家库)"
    p.add_argument("--roster", required=required, help=what if required else f"{what}: binds the assignment too")
    p.add_argument("--conflicts", help="declared conflicts: inspector_id, uscc, reason")
    p.add_argument("--requests", help="entities' recusal requests: uscc, inspector_id[, reason]")
    p.add_argument("--relations", help="relation graph: a, b, relation")
    p.add_argument("--pairs", help="officers who must not share a team: a, b")
    p.add_argument("--calendar-overrides", help="holidays and 调休 working days for years chinese-calendar lacks")


def salt_key_out(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--salt-key-out", metavar="FILE", help="a plan that hides fields: where to keep the new salt key, outside --out"
    )


def salt_key(p: argparse.ArgumentParser) -> None:
    p.add_argument("--salt-key", help="the bureau's salt key of a plan that hides fields ('commit --salt-key-out')")


def assignment_inputs(p: argparse.ArgumentParser) -> None:
    """The inputs of an assignment, as ``assign`` and ``capacity`` take them (but the draw's folder)."""
    p.add_argument("--population", required=True, help="the population the draw used (regions, stations, names)")
    staffing(p, required=True)
    p.add_argument("--history", help="inspection history with an inspectors column (rotation)")
    p.add_argument("--window", help="inspection window, e.g. 2027-03-01:2027-03-31 (dates are scheduled)")
    p.add_argument("--encoding", help="force the population's CSV encoding (default: as the draw read it)")
    p.add_argument("--sheet", help="the population's XLSX sheet (default: as the draw read it)")
    p.add_argument(
        "--allow-list", help="the allow-list the draw read, where its recorded path no longer holds it (a moved folder)"
    )
