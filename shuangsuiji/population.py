"""The population (检查对象名录库): one row per market entity, keyed by USCC.

:func:`check_population` is the boundary check every draw goes through. It
reports *every* problem of a table at once (bad or duplicate codes, unknown or
missing credit classes, missing columns the plan reads, empty strata values),
each with file, row, column and value, and returns a frozen
:class:`Population` whose columns are all text.

Examples
--------
>>> import pandas as pd
>>> pop = check_population(pd.DataFrame({"uscc": ["91110000600037341L"], "credit_class": ["A"]}))
>>> len(pop), pop.frame.columns.tolist()
(1, ['uscc', 'credit_class'])
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from .credit import CreditPolicy
from .exceptions import PopulationError, Problem
from .plan import Plan
from .uscc import UsccStatus, uscc_problem, uscc_status
from .validation import cell_text

__all__ = ["Population", "check_population", "fit_plan", "match_values"]

_ID = "uscc"
_ALLOWED_LEGACY = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True, eq=False)
class Population:
    """A checked population.

    Attributes
    ----------
    frame : pandas.DataFrame
        All columns as text, ``uscc`` first, positional index ``0..n-1``.
    rows : numpy.ndarray
        For each entity, its row in the source (for messages).
    source : str
        File name or ``<frame>``.
    warnings : tuple of str
        Things worth knowing that did not stop the draw (imputed classes...).
    """

    frame: pd.DataFrame
    rows: npt.NDArray[np.int64]
    source: str
    warnings: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def uscc(self) -> pd.Series:
        """The codes, in row order."""
        return self.frame[_ID]


def _text_column(series: pd.Series) -> pd.Series:
    """A column as stripped text (see :func:`~shuangsuiji.validation.cell_text`)."""
    if series.dtype == "str":
        return series.fillna("").str.strip()
    values = [cell_text(None if v is pd.NA or v is pd.NaT else v) for v in series.tolist()]
    return pd.Series(values, index=series.index, dtype="str").str.strip()


def _row_numbers(index: pd.Index) -> npt.NDArray[np.int64]:
    if pd.api.types.is_integer_dtype(index.dtype):
        return np.asarray(index, dtype=np.int64)
    return np.arange(2, 2 + len(index), dtype=np.int64)


def match_values(column: pd.Series, patterns: Sequence[str]) -> npt.NDArray[np.bool_]:
    """Which values of ``column`` match a ``where`` list.

    A pattern ending in ``*`` matches values starting with what comes before
    it; any other pattern matches the value exactly, as text.

    Examples
    --------
    >>> match_values(pd.Series(["C1411", "C15", "F51"]), ["C14*", "F51"]).tolist()
    [True, False, True]
    """
    exact = [p for p in patterns if not p.endswith("*")]
    prefixes = tuple(p[:-1] for p in patterns if p.endswith("*"))
    if isinstance(column.dtype, pd.CategoricalDtype):
        cats = pd.Series(column.cat.categories.astype("str"))
        hit = match_values(cats, patterns)
        codes = column.cat.codes.to_numpy()
        return np.where(codes >= 0, hit[codes], False)
    mask = np.array(column.isin(exact), dtype=bool)
    if prefixes:
        mask |= column.str.startswith(prefixes).to_numpy(dtype=bool)
    return mask


def _plan_problems(
    data: pd.DataFrame, rows: npt.NDArray[np.int64], plan: Plan | None, source: str
) -> tuple[list[Problem], list[str]]:
    """Problems of a text table against a plan; fills in missing credit classes in place."""
    problems: list[Problem] = []
    warnings: list[str] = []

    def add(i: int, column: str, message: str) -> None:
        problems.append(Problem(source, int(rows[i]), column, str(data.at[i, column]), message))

    if plan is not None:
        for col in plan.columns():
            if col not in data.columns:
                users = [t.id for t in plan.tasks if col in t.columns()]
                problems.append(
                    Problem(
                        source,
                        1,
                        col,
                        None,
                        f"the plan's tasks {users} read this column but the table has no such column; "
                        f"its columns are {list(data.columns)}",
                    )
                )
        strata_cols = {c for t in plan.tasks for c in t.strata} - {plan.credit.column}
        for col in sorted(strata_cols & set(data.columns)):
            for i in np.flatnonzero((data[col] == "").to_numpy()).tolist():
                add(i, col, "this column defines strata and may not be empty; fill in the value")
    credit = plan.credit if plan is not None else CreditPolicy()
    needed = plan is not None and credit.column in plan.columns()
    if credit.column in data.columns:
        classes = data[credit.column]
        empty = (classes == "").to_numpy()
        unknown = ~empty & ~classes.isin(credit.classes).to_numpy()
        for i in np.flatnonzero(unknown).tolist():
            add(i, credit.column, f"unknown credit class; the classes are {list(credit.classes)}")
        if empty.any():
            if credit.missing is not None:
                data.loc[empty, credit.column] = credit.missing
                warnings.append(
                    f"{int(empty.sum())} entities have no credit class and were given class {credit.missing!r} "
                    f"as the plan's 'credit.missing' says (first: row {int(rows[np.flatnonzero(empty)[0]])})."
                )
            elif needed:
                for i in np.flatnonzero(empty).tolist():
                    add(
                        i,
                        credit.column,
                        "the credit class is missing; fill it in, or set credit.missing in the plan "
                        "to give unclassified entities a class",
                    )
    return problems, warnings


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise PopulationError(sorted(problems, key=lambda p: -1 if p.row is None else p.row))


def check_population(
    frame: pd.DataFrame,
    plan: Plan | None = None,
    *,
    source: str = "<frame>",
    allow_list: Collection[str] = (),
) -> Population:
    """Check a population table and return it as a :class:`Population`.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per entity with a ``uscc`` column. Its index is taken as the
        row number in messages (readers in :mod:`shuangsuiji.io` set it to
        the spreadsheet row).
    plan : Plan, optional
        When given, the columns it reads must exist, strata columns must not
        be empty, and the credit policy of the plan applies.
    source : str
        Name of the table in messages.
    allow_list : collection of str
        Legacy codes accepted although they fail the GB 32100 check (early
        pilot codes, 15-digit registration numbers); they must still be upper
        case letters and digits.

    Returns
    -------
    Population

    Raises
    ------
    PopulationError
        Listing every problem found.
    """
    if len(frame) == 0:
        raise PopulationError([Problem(source, None, None, None, "the table has no rows; a draw needs entities")])
    if _ID not in frame.columns:
        raise PopulationError(
            [
                Problem(
                    source,
                    1,
                    _ID,
                    None,
                    f"there is no 'uscc' (统一社会信用代码) column; the columns are {list(map(str, frame.columns))}",
                )
            ]
        )
    rows = _row_numbers(frame.index)
    data = pd.DataFrame({str(c): _text_column(frame[c]) for c in frame.columns})
    data = data[[_ID, *[c for c in data.columns if c != _ID]]]
    data.index = pd.RangeIndex(len(data))
    uscc = data[_ID]
    problems: list[Problem] = []

    def add(i: int, message: str) -> None:
        problems.append(Problem(source, int(rows[i]), _ID, str(uscc.iat[i]), message))

    # Codes: alphabet, length and check character (GB 32100-2015).
    status = uscc_status(uscc)
    for i in np.flatnonzero(status != UsccStatus.OK).tolist():
        code = str(uscc.iat[i])
        if code in allow_list and status[i] != UsccStatus.EMPTY:
            if not set(code) <= _ALLOWED_LEGACY:
                add(i, "an allow-listed code must still be upper-case letters and digits")
            continue
        fix = (
            "fill in the entity's code or delete the row"
            if status[i] == UsccStatus.EMPTY
            else "correct the code, or add it to the allow-list if it is a legal legacy code"
        )
        add(i, f"{uscc_problem(code)}; {fix}")
    # Duplicates: each repeat names the row it repeats.
    dup = uscc.duplicated(keep="first").to_numpy() & (uscc != "").to_numpy()
    if dup.any():
        first_row = dict(zip(uscc[~dup].tolist(), rows[~dup].tolist(), strict=True))
        for i in np.flatnonzero(dup).tolist():
            add(i, f"this code already appears in row {first_row[uscc.iat[i]]}; keep one row per entity")
    more, warnings = _plan_problems(data, rows, plan, source)
    _raise_if(problems + more)
    return Population(frame=data, rows=rows, source=source, warnings=tuple(warnings))


def fit_plan(population: Population, plan: Plan) -> Population:
    """Check an already checked population against a plan (columns, strata, credit classes).

    The codes are not checked again. Returns a new :class:`Population`
    (missing credit classes filled in as the plan's policy says).

    Raises
    ------
    PopulationError
        Listing every problem found.
    """
    data = population.frame.copy()
    problems, warnings = _plan_problems(data, population.rows, plan, population.source)
    _raise_if(problems)
    return Population(
        frame=data, rows=population.rows, source=population.source, warnings=(*population.warnings, *warnings)
    )
