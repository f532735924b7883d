"""The command line's shared options (argparse only, so that ``shuangsuiji --help`` stays instant)."""

from __future__ import annotations

import argparse

from ._i18n import _

__all__ = [
    "ROWS",
    "assignment_inputs",
    "beacon",
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
    p.add_argument("--allow-list", help=_("legacy codes accepted although they fail the GB 32100 check"))
    p.add_argument("--encoding", help=_("force the CSV encoding (default: UTF-8, else GB18030)"))
    p.add_argument("--sheet", help=_("XLSX sheet to read (default: the first)"))


def inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--population", required=True, help=_("entities: CSV (UTF-8 or GB18030), XLSX or Parquet"))
    p.add_argument("--plan", required=True, help=_("plan TOML file (see docs/plan.md)"))
    p.add_argument("--history", help=_("inspection history: uscc, department, date[, kind]"))
    reading(p)


def engine(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine",
        choices=("memory", "dask"),
        default="memory",
        help=_("memory (default): one machine; dask: partitions on a Dask cluster, same result (docs/scale.md)"),
    )
    p.add_argument("--scheduler", help=_("address of a Dask scheduler (default: a local cluster of this machine)"))
    p.add_argument("--workers", type=int, help=_("worker processes of the local cluster (default: the CPUs)"))
    p.add_argument(
        "--partition-rows", type=int, default=ROWS, help=_("rows per Dask partition (default {rows})").format(rows=ROWS)
    )


def draw_folder(p: argparse.ArgumentParser) -> None:
    p.add_argument("draw", metavar="DRAW", help=_("the draw's folder (with manifest.json)"))


def recorded(p: argparse.ArgumentParser, *names: str) -> None:
    """Options for input files whose default is the path the draw's manifest records."""
    for name in names:
        p.add_argument(f"--{name}", help=_("the {name} file (default: as the manifest records)").format(name=name))


def leaf_format(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--leaf-format",
        type=int,
        choices=(1, 2),
        default=2,
        help=_("the Merkle leaf format of the population (default 2; 1 writes what versions before it wrote)"),
    )


def force(p: argparse.ArgumentParser, what: str) -> None:
    """``--force``; ``what`` is marked with ``N_`` where it is written, and translated here."""
    text = _("remove {what} of an earlier run from the folder first").format(what=_(what))
    p.add_argument("--force", action="store_true", help=text)


def secret_out(p: argparse.ArgumentParser) -> None:
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--secret-out", metavar="FILE", help=_("where to keep the secret, outside --out (e.g. private/secret.txt)")
    )
    where.add_argument("--no-secret", action="store_true", help=_("beacon-only ceremony: no secret"))


def staffing(p: argparse.ArgumentParser, *, required: bool) -> None:
    """The second random's inputs, named alike in ``commit`` (which binds them) and ``assign`` (which reads them)."""
    what = _("inspectors and experts (执法检查人员名录库, 专家库)")
    bound = _("{what}: binds the assignment too").format(what=what)
    p.add_argument("--roster", required=required, help=what if required else bound)
    p.add_argument("--conflicts", help=_("declared conflicts: inspector_id, uscc, reason"))
    p.add_argument("--requests", help=_("entities' recusal requests: uscc, inspector_id[, reason]"))
    p.add_argument("--relations", help=_("relation graph: a, b, relation"))
    p.add_argument("--pairs", help=_("officers who must not share a team: a, b"))
    p.add_argument("--calendar-overrides", help=_("holidays and 调休 working days for years chinese-calendar lacks"))


def salt_key_out(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--salt-key-out",
        metavar="FILE",
        help=_("a plan that hides fields: where to keep the new salt key, outside --out"),
    )


def salt_key(p: argparse.ArgumentParser) -> None:
    p.add_argument("--salt-key", help=_("the bureau's salt key of a plan that hides fields ('commit --salt-key-out')"))


def assignment_inputs(p: argparse.ArgumentParser) -> None:
    """The inputs of an assignment, as ``assign`` and ``capacity`` take them (but the draw's folder)."""
    p.add_argument("--population", required=True, help=_("the population the draw used (regions, stations, names)"))
    staffing(p, required=True)
    p.add_argument("--history", help=_("inspection history with an inspectors column (rotation)"))
    p.add_argument("--window", help=_("inspection window, e.g. 2027-03-01:2027-03-31 (dates are scheduled)"))
    p.add_argument("--encoding", help=_("force the population's CSV encoding (default: as the draw read it)"))
    p.add_argument("--sheet", help=_("the population's XLSX sheet (default: as the draw read it)"))
    p.add_argument(
        "--allow-list",
        help=_("the allow-list the draw read, where its recorded path no longer holds it (a moved folder)"),
    )


def beacon(p: argparse.ArgumentParser) -> None:
    """``--beacon``: the public random value a commitment names before it exists."""
    p.add_argument(
        "--beacon", required=True, help=_("the future public random value, e.g. 'drand quicknet round 1234'")
    )
