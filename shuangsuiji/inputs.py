"""A draw's inputs, read and checked once: the one loader every step uses.

``commit``, ``draw``, ``verify`` and ``prove`` all read the same inputs
(population, plan, inspection history, allow-list of legacy codes; for a
year's batch also the year plan and the ledger's view) the same way, through
:func:`load_draw_inputs`: the allow-list once, then the plan, the population
(by the engine that will draw it) and the history, each checked against the
allow-list; a year's batch is then prepared from them
(:func:`~shuangsuiji.yearview.prepare_batch`). :class:`DrawFiles` says where the files are, whether
named by a bureau or recorded in a published manifest (paths relative to the
draw's folder), and how they are recorded in a manifest or commitment.

Examples
--------
>>> files = DrawFiles(population=Path("in/population.csv"), plan=Path("in/plan.toml"))
>>> sorted(files.roles())
['plan', 'population']
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ._i18n import _
from .engines import Engine, get_engine
from .exceptions import HistoryError, PlanError, PopulationError, YearError
from .exclusions import History, check_history
from .io import read_allow_list, read_table
from .manifest import InputFile, Manifest, PopulationRecord, YearRecord
from .merkle import LEAF_FORMAT
from .plan import Plan, load_plan
from .population import Population, check_population
from .sampling import DrawResult
from .seed import Seed
from .year import load_year
from .yearview import LedgerView, PreparedBatch, prepare_batch

__all__ = ["DRAW_ROLES", "DrawFiles", "DrawInputs", "load_draw_inputs", "read_history", "read_population"]

#: The roles of a draw's input files, as manifests and commitments name them.
DRAW_ROLES = ("population", "plan", "history", "allow_list", "year", "ledger_view")


@dataclass(frozen=True)
class DrawFiles:
    """Where a draw's input files are, and how the population is read.

    Attributes
    ----------
    population : Path
        The entities (CSV, XLSX or Parquet).
    plan : Path or None
        The plan (TOML); ``None`` only when the plan comes another way (a published manifest's).
    history, allow_list : Path or None
        Past inspections, and legacy codes accepted although they fail the GB 32100 check.
    encoding, sheet : str or None
        A forced CSV encoding or XLSX sheet of the population.
    year, ledger_view : Path or None
        For a year's batch: the year plan (``year.toml``) and the ledger's view it reads
        (``ledger-view.json``); :meth:`for_year` fills them in.
    batch : str or None
        The batch of the year.
    """

    population: Path
    plan: Path | None
    history: Path | None = None
    allow_list: Path | None = None
    encoding: str | None = None
    sheet: str | None = None
    year: Path | None = None
    ledger_view: Path | None = None
    batch: str | None = None

    @classmethod
    def for_year(cls, year: str | Path, batch: str, population: str | Path, ledger_view: str | Path) -> DrawFiles:
        """The files of a year's batch: the plan is the one the year plan names (beside it); other files unset.

        Raises
        ------
        YearError
            If the year plan is bad.
        """
        plan = Path(year).parent / load_year(year).plan
        return cls(Path(population), plan, year=Path(year), ledger_view=Path(ledger_view), batch=batch)

    def roles(self) -> dict[str, Path]:
        """Role -> path of every file given."""
        found: dict[str, Path | None] = {"population": self.population, "plan": self.plan, "history": self.history}
        found |= {"allow_list": self.allow_list, "year": self.year, "ledger_view": self.ledger_view}
        return {role: path for role, path in found.items() if path is not None}

    def records(self, out: str | Path) -> dict[str, InputFile]:
        """How a manifest or commitment in folder ``out`` records the files (relative paths, SHA-256)."""
        records = {role: InputFile.of(path, out) for role, path in self.roles().items()}
        records["population"] = InputFile.of(self.population, out, encoding=self.encoding, sheet=self.sheet)
        return records

    @classmethod
    def recorded(
        cls, manifest: Manifest, folder: str | Path, overrides: Mapping[str, str | Path | None] | None = None
    ) -> DrawFiles:
        """The files a published manifest records (relative to its ``folder``), any of them overridden."""
        paths: dict[str, Path] = {}
        for role in DRAW_ROLES:
            override = (overrides or {}).get(role)
            entry = manifest.inputs.get(role)
            if override is not None:
                paths[role] = Path(override)
            elif entry is not None:
                paths[role] = Path(folder) / entry.path
        population = manifest.inputs.get("population")
        return cls(
            population=paths.get("population", Path(folder) / "population"),
            plan=paths.get("plan", Path(folder) / "plan.toml"),
            history=paths.get("history"),
            allow_list=paths.get("allow_list"),
            encoding=None if population is None else population.encoding,
            sheet=None if population is None else population.sheet,
            year=paths.get("year"),
            ledger_view=paths.get("ledger_view"),
            batch=None if manifest.year is None else manifest.year.batch,
        )


def read_population(
    path: str | Path,
    plan: Plan | None = None,
    *,
    allow_list: Collection[str] = (),
    encoding: str | None = None,
    sheet: str | None = None,
) -> Population:
    """Read and check a population file (in memory), against ``plan`` when given."""
    frame = read_table(path, error=PopulationError, encoding=encoding, sheet=sheet)
    return check_population(frame, plan, source=str(path), allow_list=allow_list)


def read_history(path: str | Path, *, allow_list: Collection[str] = ()) -> History:
    """Read and check an inspection history file."""
    return check_history(read_table(path, error=HistoryError, kind="history"), source=str(path), allow_list=allow_list)


@dataclass(frozen=True, eq=False)
class DrawInputs:
    """A draw's inputs, read and checked, ready for its engine.

    Attributes
    ----------
    files : DrawFiles
        Where they came from.
    plan : Plan
        The plan.
    allow_list : frozenset of str
        Legacy codes accepted.
    history : History or None
        Past inspections.
    population : Population or dask.dataframe.DataFrame
        The entities as the engine draws them (a Dask DataFrame is checked by the draw itself).
    engine : Engine
        The engine that read them and will draw them.
    batch : PreparedBatch or None
        For a year's batch: its plan (the key tasks it takes come with the seed), history and
        record; :attr:`plan` and :attr:`history` are then the batch's.
    leaf_plan : Plan or None
        The plan whose columns the population's Merkle leaves hold, when not :attr:`plan` (for a
        year's batch, the whole year's plan, so that the leaves do not depend on the seed).
    """

    files: DrawFiles
    plan: Plan
    allow_list: frozenset[str]
    history: History | None
    population: Any
    engine: Engine
    batch: PreparedBatch | None = None
    leaf_plan: Plan | None = None

    def plan_for(self, seed: str | Seed) -> Plan:
        """The plan drawn with this seed (:attr:`plan`, with a year batch's key tasks)."""
        return self.plan if self.batch is None else self.batch.plan_for(seed)

    def year_record_for(self, seed: str | Seed) -> YearRecord | None:
        """What a year's batch records in its manifest when drawn with this seed (``None`` otherwise)."""
        return None if self.batch is None else self.batch.record_for(seed)

    def check_allocation(self) -> None:
        """Refuse, before a commitment, a plan whose draw would fail whatever the seed (its allocation).

        A year's batch is not checked here (its plan comes with the seed), nor a population on Dask
        (its draw allocates from its census of the partitions).
        """
        if self.batch is None:
            self.engine.check_allocation(self.population, self.plan, history=self.history, allow_list=self.allow_list)

    def draw(self, seed: str | Seed) -> DrawResult:
        """Draw the plan on these inputs (inside the engine's session, when it has one)."""
        chosen = Seed.of(seed)
        return self.engine.draw(
            self.population,
            self.plan_for(chosen),
            chosen,
            history=self.history,
            allow_list=self.allow_list,
            workers=None,
        )

    def population_record(self, leaf_format: str = LEAF_FORMAT, salt_key: bytes | None = None) -> PopulationRecord:
        """The population's Merkle record in ``leaf_format`` (streamed from a sorted Parquet file on Dask).

        ``salt_key`` salts the fields the plan hides (``[publication] hidden``).
        """
        plan = self.leaf_plan or self.plan
        return self.engine.population_record(
            self.population,
            plan,
            path=self.files.population,
            allow_list=self.allow_list,
            leaf_format=leaf_format,
            salt_key=salt_key,
        )


def load_draw_inputs(files: DrawFiles, *, engine: Engine | None = None, plan: Plan | None = None) -> DrawInputs:
    """Read and check a draw's inputs: the allow-list once, then the plan, population and history.

    ``plan`` replaces the plan file (a verifier given a published manifest's plan).

    Raises
    ------
    PlanError, PopulationError, HistoryError, TableError
        Naming every problem found, with file, row, column and value.
    FileNotFoundError
        If a file does not exist.
    """
    engine = engine or get_engine()
    allow = read_allow_list(files.allow_list) if files.allow_list is not None else frozenset()
    if plan is None:
        if files.plan is None:
            raise PlanError(_("No plan: give the plan file (--plan)."))
        plan = load_plan(files.plan)
    if files.year is not None and engine.name != "memory":
        raise YearError(
            _("{path}: a year's batch is drawn on the memory engine; drop --engine {engine}.").format(
                path=files.year, engine=engine.name
            )
        )
    population = engine.load(files.population, plan, encoding=files.encoding, sheet=files.sheet, allow_list=allow)
    history = read_history(files.history, allow_list=allow) if files.history is not None else None
    inputs = DrawInputs(files=files, plan=plan, allow_list=allow, history=history, population=population, engine=engine)
    return inputs if files.year is None else _year_batch(inputs)


def _year_batch(inputs: DrawInputs) -> DrawInputs:
    """A year's batch: its plan, its history (the ledger's view, then any history file) and its record."""
    files = inputs.files
    if files.year is None or files.ledger_view is None or not files.batch:
        raise YearError(_("A year's batch needs the year plan, the batch and the ledger's view (--ledger or --view)."))
    year = load_year(files.year)
    prepared = prepare_batch(year, files.batch, inputs.plan, inputs.population, LedgerView.read(files.ledger_view))
    history = prepared.history
    if inputs.history is not None:
        merged = pd.concat([prepared.history.frame, inputs.history.frame], ignore_index=True).fillna("")
        history = dataclasses.replace(history, frame=merged, source=f"{history.source} and {inputs.history.source}")
    return dataclasses.replace(inputs, plan=prepared.plan, history=history, batch=prepared, leaf_plan=inputs.plan)
