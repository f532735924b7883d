"""Working days on the Chinese calendar, for publication deadlines.

Results must be published within a number of *working* days (20 by default).
Working days follow the State Council's holiday schedule, including the
weekend days made working days (调休). The ``chinese-calendar`` package knows
the years announced when it was released; for any other year, a bureau gives
an override file, and without one the library refuses with a clear error
rather than count a wrong date.

Override file (CSV, UTF-8): ``date,kind`` with ``kind`` one of ``holiday`` or
``workday``. Listing any date of a year declares that year covered: its other
days follow the week (Monday to Friday work). Entries also take precedence in
years the package knows (a late change to the schedule).

Examples
--------
>>> import datetime as dt
>>> cal = WorkCalendar()
>>> cal.add_working_days(dt.date(2026, 9, 30), 1)  # National Day: 1-7 October off
datetime.date(2026, 10, 8)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import chinese_calendar

from ._i18n import _
from .exceptions import CalendarError, CalendarOverrideError, InputError, Problem
from .io import read_table

__all__ = ["CalendarError", "CalendarOverrideError", "WorkCalendar", "read_overrides", "working_days"]


def read_overrides(path: str | Path) -> dict[dt.date, bool]:
    """Read an override file: date -> whether it is a working day.

    Raises
    ------
    CalendarOverrideError
        Listing every bad row.
    """
    frame = read_table(path, error=CalendarOverrideError, kind="calendar")
    source = str(path)
    missing = [c for c in ("date", "kind") if c not in frame.columns]
    if missing:
        raise CalendarOverrideError(
            [Problem(source, 1, c, None, _("the override file needs columns 'date' and 'kind'")) for c in missing]
        )
    out: dict[dt.date, bool] = {}
    problems = []
    for row, date_text, kind_text in zip(frame.index, frame["date"], frame["kind"], strict=True):
        try:
            day = dt.date.fromisoformat(str(date_text).strip())
        except ValueError:
            problems.append(Problem(source, int(row), "date", str(date_text), _("not a date; write it as YYYY-MM-DD")))
            continue
        kind = str(kind_text).strip().lower()
        if kind not in ("holiday", "workday"):
            problems.append(Problem(source, int(row), "kind", kind, _("write 'holiday' or 'workday'")))
            continue
        if day in out and out[day] != (kind == "workday"):
            problems.append(Problem(source, int(row), "date", str(day), _("listed twice, as holiday and as workday")))
        out[day] = kind == "workday"
    if problems:
        raise CalendarOverrideError(problems)
    return out


class WorkCalendar:
    """Which days are working days: chinese-calendar, amended by overrides.

    Parameters
    ----------
    overrides : mapping of date to bool, optional
        Days that are (True) or are not (False) working days; the years they
        touch count as covered.
    """

    def __init__(self, overrides: Mapping[dt.date, bool] | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._covered = {d.year for d in self._overrides}

    def is_working_day(self, day: dt.date) -> bool:
        """Whether ``day`` is a working day.

        Raises
        ------
        CalendarError
            For a year neither chinese-calendar nor the overrides cover.
        """
        if day in self._overrides:
            return self._overrides[day]
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year in self._covered:
                return day.weekday() < 5
            message = _(
                "The holidays of {year} are not known to chinese-calendar "
                "{version} (it knows the years announced when it was released), "
                "so a deadline counted in working days through {day} would be a guess. Give an override file "
                "(--calendar-overrides) listing {year}'s holidays and 调休 working weekends from the State "
                "Council's notice, as 'date,kind' rows (kind: holiday or workday)."
            )
            version = getattr(chinese_calendar, "__version__", "")
            raise CalendarError(message.format(year=day.year, version=version, day=day)) from None

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The ``days``-th working day after ``start`` (``start`` itself not counted).

        Examples
        --------
        >>> WorkCalendar().add_working_days(dt.date(2026, 2, 13), 1)  # Saturday 14 February 2026 is 调休 work
        datetime.date(2026, 2, 14)
        """
        if days < 0:
            raise InputError(_("The number of working days must be 0 or more; got {days}.").format(days=days))
        day, left = start, days
        while left:
            day += dt.timedelta(days=1)
            left -= self.is_working_day(day)
        return day


def working_days(window: tuple[dt.date, dt.date], calendar: WorkCalendar) -> list[dt.date]:
    """The working days of a window, in order.

    Raises
    ------
    CalendarError
        For a year the calendar does not know.

    Examples
    --------
    >>> working_days((dt.date(2026, 9, 30), dt.date(2026, 10, 9)), WorkCalendar())
    [datetime.date(2026, 9, 30), datetime.date(2026, 10, 8), datetime.date(2026, 10, 9)]
    """
    first, last = window
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    return [d for d in days if calendar.is_working_day(d)]
