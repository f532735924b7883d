"""The two engines of the draw, chosen and checked in one place: :func:`get_engine`.

``memory``
    The population in one process (:mod:`shuangsuiji._memory`); fastest up
    to what fits in this machine's memory.
``dask``
    The population in partitions on a Dask cluster
    (:mod:`shuangsuiji.distributed`), for a province or the whole country.

Both implement the same specification with the same kernel
(:mod:`shuangsuiji._kernel`) and return the same :class:`~shuangsuiji.sampling.DrawResult`,
file for file. Besides the draw, an engine knows how to read a population
file for itself, how to compute the population's Merkle record, and what
session it runs in (a Dask client for ``dask``).

Examples
--------
>>> get_engine().name, get_engine("dask").name
('memory', 'dask')
>>> get_engine("spark")
Traceback (most recent call last):
...
shuangsuiji.exceptions.InputError: The engine must be 'memory' or 'dask'; got 'spark'.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from ._hashing import default_workers
from ._i18n import _
from ._lazy import extra
from ._memory import allocate_memory, draw_memory
from .exceptions import InputError, PopulationError
from .exclusions import History
from .io import COLUMN_ALIASES, read_table
from .merkle import LEAF_FORMAT
from .plan import Plan
from .population import Population, check_population, draw_columns
from .roots import population_root, population_root_parquet
from .seed import Seed

if TYPE_CHECKING:
    from ._kernel import DrawResult
    from .manifest import PopulationRecord

__all__ = ["DEFAULT_PARTITION_ROWS", "ENGINES", "DaskEngine", "Engine", "MemoryEngine", "get_engine", "is_dask_frame"]

#: The engines' names.
ENGINES: tuple[str, ...] = ("memory", "dask")
#: Rows per Dask partition, or per batch of a streamed file, by default.
DEFAULT_PARTITION_ROWS = 1 << 20
#: Memory the memory engine needs per entity: a base plus each column read (measured: 10 million
#: entities with 4 columns peak at 1.8 GiB, 185 bytes each; this estimate is 1.7 times that).
_BYTES_PER_ENTITY, _BYTES_PER_CELL = 128, 48


def is_dask_frame(value: object) -> bool:
    """Whether ``value`` is a Dask DataFrame (checked without importing Dask)."""
    module = type(value).__module__
    return module.startswith(("dask.", "dask_expr")) and hasattr(value, "to_delayed")


def is_parquet(path: str | Path) -> bool:
    """Whether a file name says Parquet."""
    return Path(path).suffix.lower() in {".parquet", ".pq"}


class Engine(Protocol):
    """What each engine offers; :func:`get_engine` returns one."""

    @property
    def name(self) -> str:
        """``memory`` or ``dask``."""

    def draw(
        self,
        population: Any,
        plan: Plan,
        seed: Seed,
        *,
        history: History | None,
        allow_list: Collection[str],
        workers: int | None,
    ) -> DrawResult:
        """Draw ``plan`` on ``population``."""

    def load(
        self,
        path: str | Path,
        plan: Plan,
        *,
        encoding: str | None = None,
        sheet: str | None = None,
        allow_list: Collection[str] = (),
    ) -> Any:
        """Read a population file the way this engine draws it."""

    def population_record(
        self,
        population: Any,
        plan: Plan,
        *,
        path: str | Path,
        allow_list: Collection[str] = (),
        leaf_format: str = LEAF_FORMAT,
        salt_key: bytes | None = None,
    ) -> PopulationRecord:
        """The population's Merkle record (``population_root``) for a manifest or a commitment."""

    def check_allocation(
        self, population: Any, plan: Plan, *, history: History | None = None, allow_list: Collection[str] = ()
    ) -> None:
        """Refuse, with no seed, a plan whose allocation the draw would refuse (``commit`` calls it)."""

    def session(self) -> contextlib.AbstractContextManager[object]:
        """The context the engine's work runs in."""


@dataclass(frozen=True)
class MemoryEngine:
    """The whole population in one process."""

    name: str = "memory"

    def draw(
        self,
        population: Any,
        plan: Plan,
        seed: Seed,
        *,
        history: History | None = None,
        allow_list: Collection[str] = (),
        workers: int | None = None,
    ) -> DrawResult:
        if not isinstance(population, (pd.DataFrame, Population)):
            raise InputError(
                _(
                    "The memory engine draws a pandas DataFrame or a Population; "
                    "got {kind} (a Dask DataFrame goes to engine 'dask')."
                ).format(kind=type(population).__name__)
            )
        return draw_memory(population, plan, seed, history=history, allow_list=allow_list, workers=workers)

    def load(
        self,
        path: str | Path,
        plan: Plan,
        *,
        encoding: str | None = None,
        sheet: str | None = None,
        allow_list: Collection[str] = (),
    ) -> Population:
        if is_parquet(path):
            _check_fits(path, plan)
        frame = read_table(path, error=PopulationError, encoding=encoding, sheet=sheet, columns=draw_columns(plan))
        return check_population(frame, plan, source=str(path), allow_list=allow_list)

    def population_record(
        self,
        population: Any,
        plan: Plan,
        *,
        path: str | Path,
        allow_list: Collection[str] = (),
        leaf_format: str = LEAF_FORMAT,
        salt_key: bytes | None = None,
    ) -> PopulationRecord:
        return population_root(population, plan, leaf_format=leaf_format, salt_key=salt_key)

    def check_allocation(
        self, population: Any, plan: Plan, *, history: History | None = None, allow_list: Collection[str] = ()
    ) -> None:
        allocate_memory(population, plan, history=history, allow_list=allow_list)

    def session(self) -> contextlib.AbstractContextManager[object]:
        return contextlib.nullcontext()


@dataclass(frozen=True)
class DaskEngine:
    """The population in partitions on a Dask cluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``); by default a local
        cluster of this machine's cores, one worker process each.
    workers : int, optional
        Worker processes of the local cluster (default: the CPUs, at most 8).
    partition_rows : int
        Rows per partition (and per batch of the streamed Merkle root).
    """

    scheduler: str | None = None
    workers: int | None = None
    partition_rows: int = DEFAULT_PARTITION_ROWS
    name: str = "dask"

    def draw(
        self,
        population: Any,
        plan: Plan,
        seed: Seed,
        *,
        history: History | None = None,
        allow_list: Collection[str] = (),
        workers: int | None = None,
    ) -> DrawResult:
        with extra("dask"):
            import dask.dataframe as dd  # noqa: PLC0415 - Dask loads only when used

            from .distributed import draw_dask  # noqa: PLC0415

        if isinstance(population, Population):
            population = population.frame
        if isinstance(population, pd.DataFrame):
            population = dd.from_pandas(population, chunksize=self.partition_rows, sort=False)
        if not is_dask_frame(population):
            raise InputError(
                _("The Dask engine draws a Dask or pandas DataFrame; got {kind}.").format(
                    kind=type(population).__name__
                )
            )
        return draw_dask(population, plan, seed, history=history, allow_list=allow_list)

    def load(
        self,
        path: str | Path,
        plan: Plan,
        *,
        encoding: str | None = None,
        sheet: str | None = None,
        allow_list: Collection[str] = (),
    ) -> Any:
        """A Parquet file is read by partitions on the workers; any other file in memory, then partitioned."""
        with extra("dask"):
            import dask.dataframe as dd  # noqa: PLC0415 - Dask loads only when used

            from .distributed import read_parquet_dask  # noqa: PLC0415

        if is_parquet(path):
            return read_parquet_dask(path, columns=draw_columns(plan), partition_rows=self.partition_rows)

        frame = read_table(path, error=PopulationError, encoding=encoding, sheet=sheet, columns=draw_columns(plan))
        return dd.from_pandas(frame, chunksize=self.partition_rows, sort=False)

    def population_record(
        self,
        population: Any,
        plan: Plan,
        *,
        path: str | Path,
        allow_list: Collection[str] = (),
        leaf_format: str = LEAF_FORMAT,
        salt_key: bytes | None = None,
    ) -> PopulationRecord:
        """Streamed from a Parquet file sorted by code; from the frame already read otherwise."""
        if is_parquet(path):
            return population_root_parquet(
                path,
                plan,
                allow_list=allow_list,
                batch_rows=self.partition_rows,
                leaf_format=leaf_format,
                salt_key=salt_key,
            )
        frame = population.compute()
        checked = check_population(frame, plan, source=str(path), allow_list=allow_list)
        return population_root(checked, plan, leaf_format=leaf_format, salt_key=salt_key)

    def check_allocation(
        self, population: Any, plan: Plan, *, history: History | None = None, allow_list: Collection[str] = ()
    ) -> None:
        """Nothing before the draw: the Dask draw allocates from its census of the partitions, as it draws."""

    @contextlib.contextmanager
    def session(self) -> Iterator[object]:
        """A Dask client: of ``scheduler`` if given, else of a local cluster of worker processes."""
        with extra("dask"):
            from distributed import Client, LocalCluster  # noqa: PLC0415 - distributed loads only when used

        if self.scheduler:
            try:
                client = Client(self.scheduler)  # times out after distributed.comm.timeouts.connect (30 s)
            except (OSError, TimeoutError) as exc:
                raise InputError(
                    _(
                        "Cannot reach the Dask scheduler at {address!r} ({error}); check the address "
                        "(tcp://host:8786), or leave out --scheduler to use this machine."
                    ).format(address=self.scheduler, error=exc)
                ) from None
            with client:
                yield client
            return
        workers = self.workers or default_workers()
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster,
            Client(cluster) as client,
        ):
            yield client


def get_engine(
    name: str | None = None,
    *,
    population: object = None,
    scheduler: str | None = None,
    workers: int | None = None,
    partition_rows: int = DEFAULT_PARTITION_ROWS,
) -> Engine:
    """The engine called ``name``, or the one that fits ``population`` when no name is given.

    Parameters
    ----------
    name : {'memory', 'dask'}, optional
        The engine; default ``dask`` for a Dask DataFrame, ``memory`` otherwise.
    population : object, optional
        What will be drawn (decides the default).
    scheduler, workers, partition_rows
        Options of the Dask engine (:class:`DaskEngine`).

    Raises
    ------
    InputError
        For an unknown name, a Dask DataFrame given to the memory engine, or
        options that do not fit the engine.
    """
    if name is None:
        name = "dask" if is_dask_frame(population) else "memory"
    if name not in ENGINES:
        raise InputError(_("The engine must be 'memory' or 'dask'; got {name!r}.").format(name=name))
    if isinstance(partition_rows, bool) or not isinstance(partition_rows, int) or partition_rows < 1:
        raise InputError(
            _("The rows per partition must be a whole number of at least 1; got {value!r}.").format(
                value=partition_rows
            )
        )
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
        raise InputError(
            _("The number of workers must be a whole number of at least 1; got {value!r}.").format(value=workers)
        )
    if name == "memory":
        if is_dask_frame(population):
            raise InputError(_("A Dask DataFrame is drawn by engine 'dask', not 'memory'."))
        return MemoryEngine()
    return DaskEngine(scheduler=scheduler, workers=workers, partition_rows=partition_rows)


def _available_memory() -> int:
    import psutil  # noqa: PLC0415 - only for a Parquet file drawn in memory

    return int(psutil.virtual_memory().available)


def _check_fits(path: str | Path, plan: Plan) -> None:
    """Stop before a Parquet population too large for this machine's memory, rather than be killed."""
    import pyarrow.parquet as pq  # noqa: PLC0415

    try:
        meta = pq.ParquetFile(path).metadata
    except (OSError, ValueError):
        return  # read_table reports an unreadable file with its own message
    wanted = draw_columns(plan)
    columns = sum(1 for name in meta.schema.names if COLUMN_ALIASES.get(name.strip(), name.strip()) in wanted)
    need = meta.num_rows * (_BYTES_PER_ENTITY + _BYTES_PER_CELL * columns)
    free = _available_memory()
    if need > free:
        raise InputError(
            _(
                "{path}: {rows:,} entities need about {need:.1f} GiB in memory and this machine has "
                "{free:.1f} GiB available; draw them by partitions with --engine dask "
                "(a local cluster of this machine's cores, or --scheduler ADDRESS)."
            ).format(path=path, rows=meta.num_rows, need=need / 2**30, free=free / 2**30)
        )
