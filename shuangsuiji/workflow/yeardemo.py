"""A whole year on the example city: four batches, each committed, drawn, staffed, done and posted.

Between the batches the register changes (firms registered, firms deregistered),
checks outside the draw come in (complaints, big-data alerts, referrals), and
every step goes into the inspection ledger, so that each batch reads the year
as it stood. Everything is synthetic and seeded: the same arguments give the same
files, except the ceremony's secrets when none is given.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._i18n import _
from .._outdir import claim_demo_folder
from .._staffing_record import StaffingFiles
from ..exceptions import InternalError
from ..io import atomic_write_bytes, atomic_write_text, read_table, write_csv
from ..notices import Notice, xlsx_bytes
from ..synthetic import make_population
from ..year import load_year
from ._checking import run_verify
from ._draws import Reveal, run_commit, run_draw
from ._ledger import run_ledger_add, run_ledger_verify
from ._publishing import run_notices
from ._staffing import AssignmentFiles, run_assign
from ._year import YearStatusStep, run_year_status, year_files
from .demo import synthetic_results, write_example_city

__all__ = ["EXAMPLE_YEAR_TOML", "YearDemoResult", "run_year_demo", "write_example_year"]

#: The example year plan: four quarterly batches over the example plan, the target held over the year.
EXAMPLE_YEAR_TOML = """# Example year plan (年度抽查计划), synthetic; see docs/year.md for the schema.
id = "LY-2027"
year = 2027
plan = "plan.toml"

[indicator]
base = "operating"      # the operating firms in each general task's scope
target = "0.05"         # 一般事项抽查比例 over the year

[caps]                  # checks per enterprise and year (国办发〔2024〕54号); a joint visit counts once
total = 3
per_department = 2
exempt = ["complaint", "referral", "recheck", "licensing"]

[key]                   # key items spread over the batches, their order drawn from each batch's seed
tasks = ["SC-SP", "HB-PW"]
order = "random"

[[batches]]
id = "Q1"
window = "2027-03-01:2027-03-31"
share = "0.25"
key = 1

[[batches]]
id = "Q2"
window = "2027-06-01:2027-06-30"
share = "0.25"

[[batches]]
id = "Q3"
window = "2027-09-01:2027-09-30"
share = "0.25"
key = 1

[[batches]]
id = "Q4"
window = "2027-11-01:2027-11-30"
share = "0.25"
"""
#: The public random value each batch's demo ceremony takes (a real bureau waits for the beacon).
DEMO_BEACONS = {
    "Q1": "demo beacon 2027-Q1: e3b0c44298fc1c149afbf4c8996fb924",
    "Q2": "demo beacon 2027-Q2: 27ae41e4649b934ca495991b7852b855",
    "Q3": "demo beacon 2027-Q3: 4b6bbd3ba1ae5f5b2bd3ee2d1f3bd3b6",
    "Q4": "demo beacon 2027-Q4: 8f434346648f6b96df89dda901c5176b",
}


def write_example_year(folder: str | Path, *, entities: int, seed: int = 2027) -> dict[str, Path]:
    """Write the example city (:func:`write_example_city`) and its year plan, ``year.toml``, beside its plan."""
    paths = write_example_city(folder, entities=entities, seed=seed)
    paths["year"] = Path(folder) / "year.toml"
    atomic_write_text(paths["year"], EXAMPLE_YEAR_TOML)
    return paths


def _register(previous: Path, path: Path, index: int, seed: int) -> Path:
    """The register a quarter later: 1% of firms registered, 0.5% of the operating ones deregistered."""
    frame = read_table(previous)
    rng = np.random.default_rng([seed, 11, index])
    operating = np.flatnonzero(~frame["status"].isin(["注销", "吊销", "迁出"]).to_numpy())
    gone = rng.choice(operating, size=len(frame) // 200, replace=False)
    frame.loc[frame.index[gone], "status"] = "注销"
    fresh = make_population(max(1, len(frame) // 100), seed=seed * 100 + index)
    fresh = fresh[~fresh["uscc"].isin(frame["uscc"])].assign(status="存续")
    write_csv(pd.concat([frame, fresh], ignore_index=True).sort_values("uscc", ignore_index=True), path)
    return path


def _results(draw: Path, path: Path, seed: int) -> Path:
    """The inspectors' results workbook (:func:`synthetic_results`), with the Chinese headers bureaus use."""
    chinese = {"task_id": "任务编号", "uscc": "统一社会信用代码", "result": "检查结果", "completed": "检查完成日期"}
    table = synthetic_results(draw, seed).rename(columns=chinese)
    atomic_write_bytes(path, xlsx_bytes(Notice("检查结果录入", table)))
    return path


def _checks(population: Path, path: Path, window: tuple[str, str], seed: int) -> Path:
    """Checks outside the draw in a quarter: complaints (exempt from the caps) and big-data alerts (counted)."""
    frame = read_table(population)
    rng = np.random.default_rng([seed, 17, *map(ord, window[0])])
    picked = frame.iloc[rng.choice(len(frame), size=max(2, len(frame) // 500), replace=False)]
    first, last = (pd.Timestamp(d) for d in window)
    days = rng.integers(0, (last - first).days + 1, size=len(picked))
    kinds = rng.choice(np.array(["投诉举报", "大数据预警", "转办交办"]), size=len(picked), p=[0.6, 0.3, 0.1])
    table = pd.DataFrame(
        {
            "统一社会信用代码": picked["uscc"].to_numpy(),
            "检查部门": "市场监管局",
            "检查日期": [(first + pd.Timedelta(days=int(d))).date().isoformat() for d in days],
            "检查类型": kinds,
            "检查原因": np.where(kinds == "大数据预警", "经营异常预警", "群众投诉"),
        }
    )
    write_csv(table, path)
    return path


@dataclass(frozen=True)
class YearDemoResult:
    """Where the year's demo wrote its files, the year's standing, and the batches' folders."""

    out: Path
    ledger: Path
    status: YearStatusStep
    draws: tuple[Path, ...]
    verified: bool
    seconds: float


def _bound(paths: Mapping[str, Path]) -> StaffingFiles:
    """The year demo's assignment inputs, which each batch's commitment binds and its assignment reads."""
    return StaffingFiles(
        roster=paths["roster"],
        conflicts=paths["conflicts"],
        requests=paths["requests"],
        relations=paths["relations"],
        calendar=paths["calendar"],
    )


def run_year_demo(
    out: str | Path,
    *,
    entities: int = 200_000,
    seed: int = 2027,
    progress: Callable[[str], object] | None = None,
    secret: bytes | None = None,
) -> YearDemoResult:
    """Run the example year, batch by batch, and write everything under ``out``.

    Each batch: commit (to the inputs and the ledger's view), draw, add to the ledger,
    staff and date, results (an XLSX with Chinese headers), post the result notice, add
    all of it and the quarter's checks outside the draw to the ledger. Then the year's
    status, each batch verified, and the ledger verified against every batch.

    Raises
    ------
    InternalError
        If a batch or the ledger does not verify.
    """
    start = time.perf_counter()
    out = claim_demo_folder(out)
    say = progress or (lambda _: None)
    inputs = out / "inputs"
    say(_("generating the example city and its year plan"))
    paths = write_example_year(inputs, entities=entities, seed=seed)
    year = load_year(paths["year"])
    ledger = out / "ledger.sqlite"
    population = paths["population"]
    draws = []
    for index, batch in enumerate(year.batches):
        if index:
            population = _register(population, inputs / f"population-{batch.id}.csv", index, seed)
        folder = out / batch.id
        say(_("{batch}: committing to the inputs and the ledger's view").format(batch=batch.id))
        files = year_files(paths["year"], batch.id, population, folder / "commit", ledger=ledger)
        committed = run_commit(
            files,
            folder / "commit",
            beacon=f"demo beacon 2027-{batch.id}",
            secret=secret or True,
            secret_out=folder / "private" / "secret.txt",
            staffing=_bound(paths),
        )
        say(_("{batch}: drawing").format(batch=batch.id))
        draw = folder / "draw"
        drawn = year_files(paths["year"], batch.id, population, draw, commitment=committed.path)
        run_draw(drawn, draw, reveal=Reveal(committed.path, DEMO_BEACONS[batch.id], committed.secret))
        run_ledger_add(ledger, draw=draw)
        say(_("{batch}: staffing and dating the visits").format(batch=batch.id))
        bound = _bound(paths)
        run_assign(draw, AssignmentFiles(population=population, **dataclasses.asdict(bound)), allow_partial=True)
        say(_("{batch}: results and the result notice").format(batch=batch.id))
        results = _results(draw, folder / "results.xlsx", seed + index)
        run_notices(draw, folder / "notices", results=results, calendar_overrides=paths["calendar"])
        posted = batch.window[1].isoformat()
        run_ledger_add(
            ledger, draw=draw, results=results, published=folder / "notices" / "抽查结果公告.csv", published_on=posted
        )
        window = (batch.window[0].isoformat(), batch.window[1].isoformat())
        run_ledger_add(ledger, year=year.id, checks=_checks(population, folder / "checks.csv", window, seed))
        draws.append(draw)
    say(_("the year's status, and verifying every batch and the ledger"))
    status = run_year_status(paths["year"], ledger, population=population, out=out / "status")
    failed = [str(d) for d in draws if not run_verify(d).ok]
    book = run_ledger_verify(ledger, draws=draws)
    if failed or not book.ok:
        message = _("the year's demo does not verify: batches {failed}; ledger:\n{ledger}")
        raise InternalError(message.format(failed=failed, ledger=book))
    return YearDemoResult(out, ledger, status, tuple(draws), True, time.perf_counter() - start)
