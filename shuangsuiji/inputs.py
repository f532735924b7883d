"""A draw's inputs, read and checked once: the one loader every step uses.

``commit``, ``draw``, ``verify`` and ``prove`` all read the same four inputs
(population, plan, inspection history, allow-list of legacy codes) the same
way, through :func:`load_draw_inputs`: the allow-list once, then the plan, the
population (by the engine that will draw it) and the history, each checked
against the allow-list. :class:`DrawFiles` says where the files are, whether
named by a bureau or recorded in a published manifest (paths relative to the
draw's folder), and how they are recorded in a manifest or commitment.

Examples
--------
>>> files = DrawFiles(population=Path("in/population.csv"), plan=Path("in/plan.toml"))
>>> sorted(files.roles())
['plan', 'population']
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .engines import Engine, get_engine
from .exceptions import HistoryError, PopulationError
from .exclusions import History, check_history
from .io import read_allow_list, read_table
from .manifest import InputFile, Manifest, PopulationRecord
from .plan import Plan, load_plan
from .population import Population, check_population
from .sampling import DrawResult
from .seed import Seed

__all__ = ["DRAW_ROLES", "DrawFiles", "DrawInputs", "load_draw_inputs", "read_history", "read_population"]

#: The roles of a draw's input files, as manifests and commitments name them.
DRAW_ROLES = ("population", "plan", "history", "allow_list")


@dataclass(frozen=True)
class DrawFiles:
    """Where a draw's input files are, and how the population is read.

    Attributes
    ----------
    population, plan : Path
        The entities (CSV, XLSX or Parquet) and the plan (TOML).
    history, allow_list : Path or None
        Past inspections, and legacy codes accepted although they fail the GB 32100 check.
    encoding, sheet : str or None
        A forced CSV encoding or XLSX sheet of the population.
    """

    population: Path
    plan: Path
    history: Path | None = None
    allow_list: Path | None = None
    encoding: str | None = None
    sheet: str | None = None

    def roles(self) -> dict[str, Path]:
        """Role -> path of every file given."""
        found = {"population": self.population, "plan": self.plan, "history": self.history}
        found["allow_list"] = self.allow_list
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
    return check_history(read_table(path, error=HistoryError), source=str(path), allow_list=allow_list)


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
    """

    files: DrawFiles
    plan: Plan
    allow_list: frozenset[str]
    history: History | None
    population: Any
    engine: Engine

    def draw(self, seed: str | Seed) -> DrawResult:
        """Draw the plan on these inputs (inside the engine's session, when it has one)."""
        return self.engine.draw(
            self.population, self.plan, Seed.of(seed), history=self.history, allow_list=self.allow_list, workers=None
        )

    def population_record(self) -> PopulationRecord:
        """The population's Merkle record (streamed from a sorted Parquet file on the Dask engine)."""
        return self.engine.population_record(
            self.population, self.plan, path=self.files.population, allow_list=self.allow_list
        )


def load_draw_inputs(files: DrawFiles, *, engine: Engine | None = None) -> DrawInputs:
    """Read and check a draw's inputs: the allow-list once, then the plan, population and history.

    Raises
    ------
    PlanError, PopulationError, HistoryError, TableError
        Naming every problem found, with file, row, column and value.
    FileNotFoundError
        If a file does not exist.
    """
    engine = engine or get_engine()
    allow = read_allow_list(files.allow_list) if files.allow_list is not None else frozenset()
    plan = load_plan(files.plan)
    population = engine.load(files.population, plan, encoding=files.encoding, sheet=files.sheet, allow_list=allow)
    history = read_history(files.history, allow_list=allow) if files.history is not None else None
    return DrawInputs(files=files, plan=plan, allow_list=allow, history=history, population=population, engine=engine)
