"""The options of ``year`` and ``ledger`` (argparse only, so that ``shuangsuiji --help`` stays instant)."""

from __future__ import annotations

import argparse

from ._cli_options import beacon, force, reading, salt_key_out, secret_out, staffing
from ._i18n import N_, _

__all__ = ["ledger_add", "ledger_export", "ledger_verify", "year_commit", "year_draw", "year_status"]


def _year_inputs(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "year", metavar="YEAR", help=_("the year plan, year.toml (docs/year.md); its plan file sits beside it")
    )
    p.add_argument("--batch", required=True, help=_("the batch to draw (its id in the year plan)"))
    p.add_argument("--population", required=True, help=_("entities as registered now: CSV, XLSX or Parquet"))
    p.add_argument("--ledger", help=_("the inspection ledger (a SQLite file, or a database URL); its view is written"))
    p.add_argument("--view", help=_("a ledger-view.json written before, instead of --ledger"))
    p.add_argument("--history", help=_("inspections from before the ledger: uscc, department, date[, kind]"))
    reading(p)


def year_commit(p: argparse.ArgumentParser) -> None:
    _year_inputs(p)
    beacon(p)
    p.add_argument("--out", required=True, help=_("folder for commitment.json and ledger-view.json (to publish now)"))
    staffing(p, required=False)
    secret_out(p)
    salt_key_out(p)
    force(p, N_("the commitment"))


def year_draw(p: argparse.ArgumentParser) -> None:
    _year_inputs(p)
    p.add_argument("--out", required=True, help=_("output folder"))
    p.add_argument("--seed", help=_("64 lowercase hex digits (a notebook or a test; no ceremony)"))
    p.add_argument("--commitment", help=_("commitment.json of 'year commit' (its ledger view is the one read)"))
    p.add_argument("--beacon-value", help=_("the public random value named in the commitment, as published"))
    p.add_argument("--secret", help=_("secret.txt written by 'year commit' (omit for a beacon-only commitment)"))
    force(p, N_("the draw, assignment and proofs"))


def year_status(p: argparse.ArgumentParser) -> None:
    p.add_argument("year", metavar="YEAR", help=_("the year plan, year.toml"))
    p.add_argument("--ledger", required=True, help=_("the inspection ledger (a SQLite file, or a database URL)"))
    p.add_argument("--population", help=_("entities as registered now (the base of the indicator)"))
    reading(p)
    text = _("folder for year-status.csv, year-batches.csv, year-progress.csv and year-status.html (with a chart)")
    p.add_argument("--out", help=text)


def _ledger_file(p: argparse.ArgumentParser) -> None:
    p.add_argument("ledger", metavar="LEDGER", help=_("the inspection ledger: a SQLite file, or a database URL"))


def ledger_add(p: argparse.ArgumentParser) -> None:
    _ledger_file(p)
    p.add_argument("--draw", help=_("a published draw folder: its drawn firms, and its teams once staffed"))
    p.add_argument("--results", help=_("the inspectors' results (CSV or XLSX, Chinese headers accepted) of --draw"))
    p.add_argument("--published", help=_("the 抽查结果公告 of --draw as posted (CSV or XLSX written by 'notices')"))
    p.add_argument("--published-on", help=_("the day the notice was posted, YYYY-MM-DD"))
    p.add_argument("--checks", help=_("checks outside the draw (complaints, alerts, referrals...): CSV or XLSX"))
    p.add_argument("--year", help=_("the year's id (default: the one a year's batch records)"))
    p.add_argument("--batch", help=_("the batch's id (default: the one a year's batch records, else the plan id)"))


def ledger_export(p: argparse.ArgumentParser) -> None:
    _ledger_file(p)
    p.add_argument("--out", required=True, help=_("file to write: .csv, .xlsx or .parquet"))


def ledger_verify(p: argparse.ArgumentParser) -> None:
    _ledger_file(p)
    p.add_argument(
        "--draw", action="append", default=[], help=_("a year's batch whose recorded ledger head and view to check")
    )
