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

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from ._i18n import N_, _
from ._strings import byte_column
from .columns import canonical_columns
from .credit import CreditPolicy
from .exceptions import InternalError, PopulationError, Problem
from .identity import code_problems, excel_damage, normalised_codes
from .plan import Plan
from .validation import cell_text

__all__ = [
    "Population",
    "RowCheck",
    "check_population",
    "check_prepared",
    "check_rows",
    "code_problems",
    "draw_columns",
    "fit_plan",
    "header_problems",
    "imputed_warning",
    "match_values",
    "normalised_warning",
    "prepare_population",
    "repeat_message",
    "text_column",
]

_ID = "uscc"
_REGNO = "regno"


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
    checked_against : Plan or None
        The plan it was checked against (columns, strata, credit classes), so
        that a draw of that plan does not check it again.
    register : pandas.Series or None
        The register's own credit classes (positional), when the plan's
        ``credit.missing`` filled some in: the Merkle leaves record both.
    """

    frame: pd.DataFrame
    rows: npt.NDArray[np.int64]
    source: str
    warnings: tuple[str, ...] = ()
    checked_against: Plan | None = None
    register: pd.Series | None = None

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def uscc(self) -> pd.Series:
        """The codes, in row order."""
        return self.frame[_ID]


def text_column(series: pd.Series) -> pd.Series:
    """A column as stripped text, as every checked table holds it (see :func:`~shuangsuiji.validation.cell_text`).

    Examples
    --------
    >>> text_column(pd.Series([410302, " 甲 ", None], dtype=object)).tolist()
    ['410302', '甲', '']
    """
    if isinstance(series.dtype, pd.StringDtype):  # pandas' text, or Dask's string[pyarrow]
        series = (series if str(series.dtype) == "str" else series.astype("str")).fillna("")
        return series.str.strip() if _may_need_strip(series) else series
    values = [cell_text(None if v is pd.NA or v is pd.NaT else v) for v in series.tolist()]
    return pd.Series(values, index=series.index, dtype="str").str.strip()


def _may_need_strip(series: pd.Series) -> bool:
    """Whether some value may start or end with white space (a cheap look at first and last bytes).

    Conservative: a byte at or below 0x20 (ASCII space and controls) or at or
    above 0x80 (any multi-byte character, which may be an ideographic or
    no-break space) at either end sends the column through a full strip.
    """
    col = byte_column(series)
    lengths = col.lengths
    filled = np.flatnonzero(lengths > 0)
    if filled.size == 0:
        return False
    first = col.data[col.offsets[filled]]
    last = col.data[col.offsets[filled + 1] - 1]
    return bool(((first <= 0x20) | (first >= 0x80) | (last <= 0x20) | (last >= 0x80)).any())


def _row_numbers(index: pd.Index) -> npt.NDArray[np.int64]:
    if pd.api.types.is_integer_dtype(index.dtype):
        return np.asarray(index, dtype=np.int64)
    return np.arange(2, 2 + len(index), dtype=np.int64)


def draw_columns(plan: Plan) -> set[str]:
    """The population columns a plan's draw reads or writes out (a column store reads only these).

    Examples
    --------
    >>> from shuangsuiji.plan import parse_plan
    >>> sorted(draw_columns(parse_plan({"id": "P", "tasks": [{"id": "T", "department": "d", "items": ["x"],
    ...                                 "ratio": "0.1", "strata": ["region"]}]})))
    ['credit_class', 'name', 'region', 'status', 'uscc']
    """
    return {_ID, "name", *plan.columns(), plan.credit.column, plan.status_column}


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


_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))


def _fingerprints(matrix: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint64]:
    """A 64-bit mix of each row of an ``(n, width)`` byte matrix (equal rows, equal values)."""
    n, width = matrix.shape
    out = np.zeros(n, dtype=np.uint64)
    padded_width = -(-width // 8) * 8
    for a in range(0, n, 1 << 20):
        block = matrix[a : a + (1 << 20)]
        padded = np.zeros((len(block), padded_width), dtype=np.uint8)
        padded[:, :width] = block
        words = padded.view(np.uint64)
        acc = np.zeros(len(block), dtype=np.uint64)
        for j in range(words.shape[1]):
            acc ^= words[:, j] * _MIX[j % 3]
            acc = (acc << np.uint64(13)) | (acc >> np.uint64(51))
        out[a : a + len(block)] = acc
    return out


def _repeats(codes: pd.Series) -> npt.NDArray[np.bool_]:
    """Which non-empty codes repeat an earlier row's code."""
    col = byte_column(codes)
    width = col.uniform_width()
    suspects = np.ones(len(codes), dtype=bool)
    if width is not None and width > 0:
        # Equal codes have equal fingerprints: sort those, and look closer only at rows whose
        # fingerprint repeats (most tables have none).
        prints = _fingerprints(col.matrix())
        ordered = np.sort(prints)
        repeated = ordered[1:][ordered[1:] == ordered[:-1]]
        if repeated.size == 0:
            return np.zeros(len(codes), dtype=bool)
        suspects = np.isin(prints, repeated)
    out = np.zeros(len(codes), dtype=bool)
    rows = np.flatnonzero(suspects)
    sub = codes.iloc[rows]
    out[rows] = np.asarray(sub.duplicated(keep="first"), dtype=bool) & np.asarray(sub != "", dtype=bool)
    return out


def header_problems(columns: Sequence[str], plan: Plan | None, source: str) -> list[Problem]:
    """Problems of a table's header alone: no ``uscc`` column, or a column the plan reads missing."""
    return ([] if _ID in columns else [_no_uscc(source, columns)]) + _missing_columns(columns, plan, source)


def _missing_columns(columns: Sequence[str], plan: Plan | None, source: str) -> list[Problem]:
    problems: list[Problem] = []
    if plan is not None:
        for col in plan.columns():
            if col not in columns:
                users = [t.id for t in plan.tasks if col in t.columns()]
                message = _(
                    "the plan's tasks {users} read this column but the table has no such column; "
                    "its columns are {columns}"
                )
                problems.append(Problem(source, 1, col, None, message.format(users=users, columns=list(columns))))
    return problems


def _no_uscc(source: str, columns: Sequence[object]) -> Problem:
    message = _("there is no 'uscc' (统一社会信用代码) column; the columns are {columns}")
    return Problem(source, 1, _ID, None, message.format(columns=list(map(str, columns))))


@dataclass(frozen=True)
class RowCheck:
    """What :func:`check_rows` found in a run of rows.

    Attributes
    ----------
    problems : list of Problem
        Every problem of the rows (not repeated codes, which span runs).
    imputed : int
        Entities given the plan's ``credit.missing`` class.
    first_imputed : int or None
        Position (in the run) of the first of them.
    register : pandas.Series or None
        The credit classes as the rows gave them, before any was filled in (``None`` when none was).
    """

    problems: list[Problem]
    imputed: int = 0
    first_imputed: int | None = None
    register: pd.Series | None = None


def check_rows(
    data: pd.DataFrame,
    rows: npt.NDArray[np.int64],
    plan: Plan | None,
    *,
    source: str,
    allow_list: Collection[str] = (),
    codes: bool = True,
) -> RowCheck:
    """The checks of each row, as every engine runs them on its rows.

    The memory engine runs them on the whole table, the Dask engine on each
    partition and the streamed Merkle root on each batch: codes (GB 32100,
    allow-list aside, unless ``codes`` is false), the columns the plan reads
    (present, strata values not empty) and credit classes (known; missing ones
    filled in place as the plan's ``credit.missing`` says). Repeated codes span
    runs of rows, so each engine finds them its own way (:func:`check_prepared`
    over the whole table).

    Parameters
    ----------
    data : pandas.DataFrame
        Text columns (:func:`prepare_population`), positional index.
    rows : numpy.ndarray
        Each row's number in the source, for messages.
    plan : Plan or None
        The plan whose columns and credit policy apply.
    source : str
        Name of the table in messages.
    allow_list : collection of str
        Legacy codes to accept.
    codes : bool
        Whether to check the codes.
    """
    problems = code_problems(data[_ID], rows, source=source, allow_list=allow_list) if codes else []

    def add(i: int, column: str, message: str) -> None:
        problems.append(Problem(source, int(rows[i]), column, str(data.at[i, column]), message))

    problems += _missing_columns(list(data.columns), plan, source)
    if plan is not None:
        strata_cols = {c for t in plan.tasks for c in t.strata} - {plan.credit.column}
        for col in sorted(strata_cols & set(data.columns)):
            for i in np.flatnonzero((data[col] == "").to_numpy()).tolist():
                add(i, col, _("this column defines strata and may not be empty; fill in the value"))
    credit = plan.credit if plan is not None else CreditPolicy()
    needed = plan is not None and credit.column in plan.columns()
    if credit.column not in data.columns:
        return RowCheck(problems)
    classes = data[credit.column]
    empty = (classes == "").to_numpy()
    unknown = ~empty & ~classes.isin(credit.classes).to_numpy()
    for i in np.flatnonzero(unknown).tolist():
        add(i, credit.column, _("unknown credit class; the classes are {classes}").format(classes=list(credit.classes)))
    if not empty.any():
        return RowCheck(problems)
    if credit.missing is not None:
        register = classes.copy()
        data.loc[empty, credit.column] = credit.missing
        return RowCheck(problems, int(empty.sum()), int(np.flatnonzero(empty)[0]), register.reset_index(drop=True))
    if needed:
        for i in np.flatnonzero(empty).tolist():
            add(
                i,
                credit.column,
                _(
                    "the credit class is missing; fill it in, or set credit.missing in the plan "
                    "to give unclassified entities a class"
                ),
            )
    return RowCheck(problems)


def imputed_warning(count: int, first_row: int, missing: str) -> str:
    """The warning for entities given the plan's ``credit.missing`` class."""
    text = N_(
        "{count} entities have no credit class and were given class {missing!r} "
        "as the plan's 'credit.missing' says (first: row {first_row})."
    )
    return text.format(count=count, missing=missing, first_row=first_row)


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise PopulationError(sorted(problems, key=lambda p: -1 if p.row is None else p.row))


def prepare_population(
    frame: pd.DataFrame, *, source: str = "<frame>", on_codes: Callable[[pd.Series], object] | None = None
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """First stage of :func:`check_population`: every column as stripped text.

    Returns the text frame (``uscc`` first, positional index) and each row's
    number in the source. ``on_codes`` is called with the normalised codes
    before the other columns are converted (the draw starts hashing there).

    Raises
    ------
    PopulationError
        If the table has no rows or no ``uscc`` column.
    """
    if len(frame) == 0:
        raise PopulationError([Problem(source, None, None, None, _("the table has no rows; a draw needs entities"))])
    frame = canonical_columns(frame, "population", source=source, error=PopulationError)
    if _ID not in frame.columns and _REGNO not in frame.columns:
        raise PopulationError([_no_uscc(source, list(frame.columns))])
    rows = _row_numbers(frame.index)
    positions = pd.RangeIndex(len(frame))
    codes = text_column(frame[_ID]).set_axis(positions) if _ID in frame.columns else None
    if _REGNO in frame.columns:
        # An entity without a USCC is keyed by its 注册号 (docs/inputs.md).
        regno = text_column(frame[_REGNO]).set_axis(positions)
        codes = regno if codes is None else codes.where(codes != "", regno)
    if codes is None:  # pragma: no cover - one of the two columns is there (checked above)
        raise InternalError("no code column")
    codes, changed, first = normalised_codes(codes)
    if on_codes is not None:
        on_codes(codes)
    others = {str(c): text_column(frame[c]).set_axis(positions) for c in frame.columns if c != _ID}
    data = pd.DataFrame({_ID: codes, **others}, index=positions)
    if changed and first is not None:
        data.attrs["warnings"] = (normalised_warning(changed, int(rows[first])),)
        data.attrs["normalised"] = (changed, first)  # for engines that count over partitions
    return data, rows


def normalised_warning(count: int, first_row: int) -> str:
    """The warning for codes that held full-width characters or blanks (made NFKC, blanks removed)."""
    text = N_(
        "{count} codes held full-width characters or blanks and were normalised (NFKC, blanks removed; "
        "first: row {first_row}); correct them in the register."
    )
    return text.format(count=count, first_row=first_row)


def check_prepared(
    data: pd.DataFrame,
    rows: npt.NDArray[np.int64],
    plan: Plan | None = None,
    *,
    source: str = "<frame>",
    allow_list: Collection[str] = (),
) -> Population:
    """Second stage of :func:`check_population`, on the output of :func:`prepare_population`."""
    found = check_rows(data, rows, plan, source=source, allow_list=allow_list)
    problems = found.problems
    # Duplicates: each repeat names the row it repeats.
    uscc = data[_ID]
    dup = _repeats(uscc)
    if dup.any():
        # A code Excel destroyed is already a problem of its own; it is never another's duplicate.
        damaged = np.zeros(len(uscc), dtype=bool)
        for i in np.flatnonzero(dup).tolist():
            damaged[i] = excel_damage(str(uscc.iat[i])) is not None
        dup &= ~damaged
    if dup.any():
        first_row = dict(zip(uscc[~dup].tolist(), rows[~dup].tolist(), strict=True))
        for i in np.flatnonzero(dup).tolist():
            problems.append(
                Problem(source, int(rows[i]), _ID, str(uscc.iat[i]), repeat_message(first_row[uscc.iat[i]]))
            )
    _raise_if(problems)
    warnings = (*data.attrs.pop("warnings", ()), *_imputed(found, rows, plan))
    return Population(
        frame=data, rows=rows, source=source, warnings=warnings, checked_against=plan, register=found.register
    )


def _imputed(found: RowCheck, rows: npt.NDArray[np.int64], plan: Plan | None) -> tuple[str, ...]:
    if not found.imputed or plan is None or plan.credit.missing is None or found.first_imputed is None:
        return ()
    return (imputed_warning(found.imputed, int(rows[found.first_imputed]), plan.credit.missing),)


def repeat_message(first_row: int) -> str:
    """The message for a code that repeats the code of ``first_row``."""
    return _("this code already appears in row {row}; keep one row per entity").format(row=first_row)


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
    data, rows = prepare_population(frame, source=source)
    return check_prepared(data, rows, plan, source=source, allow_list=allow_list)


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
    found = check_rows(data, population.rows, plan, source=population.source, codes=False)
    _raise_if(found.problems)
    warnings = (*population.warnings, *_imputed(found, population.rows, plan))
    register = found.register if found.register is not None else population.register
    return Population(
        frame=data,
        rows=population.rows,
        source=population.source,
        warnings=warnings,
        checked_against=plan,
        register=register,
    )
