"""Exceptions raised by shuangsuiji: the whole tree, in one place.

Every error the library raises on purpose derives from :class:`ShuangsuijiError`
and also from the built-in exception that best describes it, so callers may
catch either::

    ShuangsuijiError
    ├── InputError (ValueError)            bad input or misuse; the message says how to fix it
    │   ├── SeedError                      a seed that is not 64 lowercase hex digits
    │   ├── PlanError                      the plan file breaks its schema
    │   ├── NotFoundError (KeyError)       a task, entity or file that is not where it was asked for
    │   ├── TableError                     problems in a table, each a Problem with file, row, column, value
    │   │   ├── PopulationError            ... in the population (检查对象名录库)
    │   │   ├── HistoryError               ... in the inspection history
    │   │   ├── RosterError                ... in the inspector roster (执法检查人员名录库, 专家库)
    │   │   ├── ConflictError              ... in a conflicts, requests, relations or pairs file (回避)
    │   │   ├── ResultsError               ... in the inspectors' results file
    │   │   ├── ChecksError                ... in a file of checks outside the draw (投诉举报, 复查 ...)
    │   │   ├── CalendarOverrideError      ... in a working-day override file
    │   │   └── ItemsError                 ... in an inspection items list (抽查事项清单)
    │   ├── ColumnMapError                 a column map (map.toml) that names an unknown kind or column
    │   ├── AllocationError                a plan that cannot be allocated (floor out of reach)
    │   ├── AssignmentError                visits that cannot be staffed (the reasons in numbers)
    │   ├── CalendarError                  a date in a year the working-day calendar does not know
    │   ├── CeremonyError                  a commitment, secret or beacon value that does not fit the ceremony
    │   ├── ManifestError                  a published manifest that is not one of its format
    │   ├── LedgerError                    an inspection ledger that cannot take or give what is asked
    │   ├── FolderError                    an output folder holding another run's files, or a public one a secret
    │   ├── YearError                      a year plan (year.toml) that breaks its schema or cannot be met
    │   └── ProofError                     a proof file that is not one of its format
    ├── DependencyError (ImportError)      an optional part whose dependencies are not installed
    └── InternalError (AssertionError)     a result broke a rule the library guarantees: a bug

:class:`TableError` carries every :class:`Problem` found in a file, not only the
first, each naming the file, row, column and value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ._i18n import N_, _, ngettext

__all__ = [
    "MAX_LISTED_PROBLEMS",
    "AllocationError",
    "AssignmentError",
    "CalendarError",
    "CalendarOverrideError",
    "CeremonyError",
    "ChecksError",
    "ColumnMapError",
    "ConflictError",
    "DependencyError",
    "FolderError",
    "HistoryError",
    "InputError",
    "InternalError",
    "ItemsError",
    "LedgerError",
    "ManifestError",
    "NotFoundError",
    "PlanError",
    "PopulationError",
    "Problem",
    "ProofError",
    "ResultsError",
    "RosterError",
    "SeedError",
    "ShuangsuijiError",
    "TableError",
    "YearError",
]

#: How many problems a :class:`TableError` message lists before summarising.
MAX_LISTED_PROBLEMS = 20


class ShuangsuijiError(Exception):
    """Base class of every error shuangsuiji raises on purpose."""


class InputError(ShuangsuijiError, ValueError):
    """Input the library cannot accept; the message says what to change."""


class SeedError(InputError):
    """A seed that is not 64 lowercase hexadecimal digits."""


class PlanError(InputError):
    """A plan (抽查计划) that breaks the plan schema."""


class NotFoundError(InputError, KeyError):
    """A task, entity or file that is not where it was asked for (also a :class:`KeyError`)."""

    __str__ = Exception.__str__  # the message as written, not quoted as KeyError quotes keys


class AllocationError(InputError):
    """A task whose sample cannot be allocated, such as a floor that no ratio reaches."""


class AssignmentError(InputError):
    """Visits that cannot be staffed or scheduled; ``unstaffed`` lists them with the reasons."""

    def __init__(self, message: str, unstaffed: object = None) -> None:
        super().__init__(message)
        self.unstaffed = unstaffed


class CalendarError(InputError):
    """A date the calendar cannot say is a working day or not (an unannounced year)."""


class CeremonyError(InputError):
    """A commitment, secret or beacon value that does not fit the ceremony."""


class FolderError(InputError):
    """An output folder that holds files of an earlier run, or a folder to publish that would hold a secret."""


class LedgerError(InputError):
    """An inspection ledger that cannot take or give what is asked (a draw added twice, a broken chain)."""


class YearError(InputError):
    """A year plan (``year.toml``) that breaks its schema, or a year target the pool cannot meet."""


class ManifestError(InputError):
    """A published manifest (``manifest.json``, ``assignment.json``) that is not one of its format."""


class ProofError(InputError):
    """A proof file that is not a proof of its format."""


@dataclass(frozen=True)
class Problem:
    """One problem in one cell (or row) of an input table.

    Parameters
    ----------
    file : str
        The file (or ``<frame>`` for an in-memory table).
    row : int or None
        The row as a spreadsheet numbers it: the header is row 1, the first
        record row 2. ``None`` for a problem of the whole table.
    column : str or None
        The column, or ``None`` for a problem of a whole row or table.
    value : str or None
        The offending value as text, or ``None``.
    message : str
        What is wrong and how to fix it.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(_("row {row}").format(row=self.row))
        if self.column is not None:
            where.append(_("column '{column}'").format(column=self.column))
        if self.value is not None:
            where.append(_("value {value!r}").format(value=self.value))
        return _("{where}: {message}").format(where=_(", ").join(where), message=_(self.message))


class TableError(InputError):
    """Problems found in an input table; all of them are in :attr:`problems`."""

    #: What the table is, for the message ("population", "history", ...).
    kind = N_("table")

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise InternalError("a TableError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        n = len(self.problems)
        head = ngettext("{n} problem in the {kind} {file!r}:", "{n} problems in the {kind} {file!r}:", n)
        lines = [head.format(n=n, kind=_(self.kind), file=self.problems[0].file)]
        lines.extend(f"  - {p}" for p in self.problems[:MAX_LISTED_PROBLEMS])
        if n > MAX_LISTED_PROBLEMS:
            more = _("  ... and {more} more (all of them are in the error's .problems)")
            lines.append(more.format(more=n - MAX_LISTED_PROBLEMS))
        return "\n".join(lines)


class PopulationError(TableError):
    """Problems in a population table (检查对象名录库)."""

    kind = N_("population")


class HistoryError(TableError):
    """Problems in an inspection-history table."""

    kind = N_("history")


class DependencyError(ShuangsuijiError, ImportError):
    """An optional part of the library whose dependencies are not installed; the message names the extra."""


class InternalError(ShuangsuijiError, AssertionError):
    """A result broke a rule the library guarantees. This is a bug: please report it."""


class RosterError(TableError):
    """Problems in an inspector roster (执法检查人员名录库) or expert pool (专家库)."""

    kind = N_("roster")


class ConflictError(TableError):
    """Problems in a conflicts, recusal requests, relations or pairs file."""

    kind = N_("conflicts file")


class ResultsError(TableError):
    """Problems in an inspection results file."""

    kind = N_("results file")


class ChecksError(TableError):
    """Problems in a file of checks outside the random draw (complaints, alerts, referrals, re-checks)."""

    kind = N_("checks file")


class CalendarOverrideError(TableError):
    """Problems in a calendar override file."""

    kind = N_("calendar override file")


class ItemsError(TableError):
    """Problems in an inspection items list (抽查事项清单) or a joint items list."""

    kind = N_("items list")


class ColumnMapError(InputError):
    """A column map (``map.toml``) that names an unknown kind of input or column."""
