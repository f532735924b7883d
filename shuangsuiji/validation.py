"""Small ``check_*`` helpers that return the cleaned value or raise.

They are called once, where a value enters the library, and share one message
template: ``The 'ratio' of task 'T1' must be in [0, 1]; got 1.5.`` Errors
raised here are :class:`~shuangsuiji.exceptions.InputError` subclasses chosen by
the caller (``PlanError`` for plan fields, by default).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from ._i18n import _
from .exceptions import InputError, InternalError, PlanError

__all__ = [
    "cell_text",
    "check_date",
    "check_fraction",
    "check_identifier",
    "check_int",
    "check_keys",
    "check_text",
    "check_text_list",
    "date_of_text",
    "fraction_text",
    "number_text",
    "value_text",
]

_IDENT = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _got(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_keys(
    table: Mapping[str, Any], allowed: tuple[str, ...], owner: str, *, error: type[InputError] = PlanError
) -> None:
    """Refuse a key not in ``allowed``, suggesting the closest allowed one (a misspelt key is an error).

    Examples
    --------
    >>> check_keys({"ration": "0.1"}, ("ratio", "floor"), "Task 'T1'")
    Traceback (most recent call last):
    ...
    shuangsuiji.exceptions.PlanError: Task 'T1' has an unknown key 'ration'. Did you mean 'ratio'?
    """
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = (
                _(" Did you mean {key!r}?").format(key=close[0])
                if close
                else _(" Allowed keys: {keys}.").format(keys=", ".join(allowed))
            )
            raise error(_("{owner} has an unknown key {key!r}.{hint}").format(owner=owner, key=key, hint=hint))


def check_identifier(value: object, what: str, *, error: type[InputError] = PlanError) -> str:
    """Return ``value`` if it is an id of 1 to 64 characters from ``[A-Za-z0-9._-]``.

    Examples
    --------
    >>> check_identifier("LY-2027-Q1", "The plan 'id'")
    'LY-2027-Q1'
    """
    if not isinstance(value, str) or not _IDENT.fullmatch(value):
        message = _("{what} must be 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' or '-'; got {got}.")
        raise error(message.format(what=what, got=_got(value)))
    return value


def check_text(value: object, what: str, *, error: type[InputError] = PlanError) -> str:
    """Return ``value`` if it is a non-empty string (surrounding blanks removed)."""
    if not isinstance(value, str) or not value.strip():
        raise error(_("{what} must be a non-empty string; got {got}.").format(what=what, got=_got(value)))
    return value.strip()


def value_text(value: object, what: str, *, error: type[InputError] = PlanError) -> str:
    """The text of a column value given in a plan (a string or an integer).

    Integers become their decimal text, so ``410302`` matches the cell
    ``410302``. Floats and booleans are refused: write them as quoted text.

    Examples
    --------
    >>> value_text(410302, "A 'where' value")
    '410302'
    """
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        message = _('{what} must be text (quote it, e.g. "1") or a whole number; got {got}.')
        raise error(message.format(what=what, got=_got(value)))
    return str(value)


def check_text_list(value: object, what: str, *, error: type[InputError] = PlanError) -> tuple[str, ...]:
    """Return a non-empty list of column values as a tuple of strings.

    Examples
    --------
    >>> check_text_list(["410302", 410303], "The 'where.region' of task 'T1'")
    ('410302', '410303')
    """
    if not isinstance(value, list) or not value:
        raise error(_("{what} must be a non-empty list of values; got {got}.").format(what=what, got=_got(value)))
    each = _("Each value of {what}").format(what=what)
    items = tuple(value_text(v, each, error=error) for v in value)
    dupes = sorted({v for v in items if items.count(v) > 1})
    if dupes:
        raise error(_("{what} lists {value!r} twice; list each value once.").format(what=what, value=dupes[0]))
    return items


#: The largest whole number a plan may hold anywhere: JSON's safe integers (RFC 8785 writes no larger).
MAX_WHOLE = 2**53 - 1
#: Digits a decimal of a plan may have (before and after the point alike): exact, and bounded in cost.
MAX_DIGITS = 30
#: The years a date of a plan, a history or a calendar may lie in.
DATE_YEARS = (1900, 2999)


def check_int(
    value: object, what: str, *, minimum: int = 0, maximum: int = MAX_WHOLE, error: type[InputError] = PlanError
) -> int:
    """Return ``value`` if it is a whole number from ``minimum`` to ``maximum``.

    Examples
    --------
    >>> check_int(180, "The 'exclude_inspected_within_days' of task 'T1'")
    180
    >>> check_int(10**9, "The 'annual_cap'", minimum=1, maximum=366)
    Traceback (most recent call last):
    ...
    shuangsuiji.exceptions.PlanError: The 'annual_cap' must be a whole number from 1 to 366; got 1000000000.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        message = _("{what} must be a whole number of at least {minimum}; got {got}.")
        raise error(message.format(what=what, minimum=minimum, got=_got(value)))
    if value > maximum:
        message = _("{what} must be a whole number from {minimum} to {maximum}; got {got}.")
        raise error(message.format(what=what, minimum=minimum, maximum=maximum, got=_got(value)))
    return value


def check_fraction(
    value: object,
    what: str,
    *,
    low: Fraction | None = Fraction(0),
    high: Fraction | None = Fraction(1),
    error: type[InputError] = PlanError,
    ratios: bool = False,
) -> Fraction:
    """Read an exact decimal ratio and check it lies in ``[low, high]``.

    Strings are read as exact decimals (``"0.05"`` is exactly 1/20). A TOML or
    Python float is read by its shortest decimal form (``0.1`` is exactly
    1/10, not the binary double nearest to it). Booleans, NaN and infinities
    are refused, and so are fractions written ``p/q`` unless ``ratios`` (a year's
    shares: ``"1/3"``).

    Examples
    --------
    >>> check_fraction("0.05", "The plan 'floor'")
    Fraction(1, 20)
    >>> check_fraction(0.1, "The 'ratio' of task 'T1'")
    Fraction(1, 10)
    >>> check_fraction("1.5", "The 'ratio' of task 'T1'")
    Traceback (most recent call last):
    ...
    shuangsuiji.exceptions.PlanError: The 'ratio' of task 'T1' must be in [0, 1]; got '1.5'.
    """
    rng = f"[{fraction_text(low) if low is not None else '-inf'}, {fraction_text(high) if high is not None else 'inf'}]"
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal, Fraction)):
        message = _('{what} must be a decimal number in {range}, best written as text ("0.05"); got {got}.')
        raise error(message.format(what=what, range=rng, got=_got(value)))
    if isinstance(value, Fraction):
        number = _bounded(value, value, what, rng, error)
    else:
        if isinstance(value, float) and not math.isfinite(value):
            message = _("{what} must be a finite decimal number in {range}; got {got}.")
            raise error(message.format(what=what, range=rng, got=_got(value)))
        text = repr(value) if isinstance(value, float) else str(value).strip()
        if ratios and isinstance(value, str) and _RATIO.fullmatch(text) and text.split("/")[1].strip("0"):
            if len(text) > 2 * MAX_DIGITS + 1:
                message = _("{what} must be a ratio of at most {digits} digits on each side; got {got}.")
                raise error(message.format(what=what, digits=MAX_DIGITS, got=_shown(text)))
            number = _bounded(Fraction(text), value, what, rng, error)
        else:
            number = _decimal(text, value, what, rng, error)
    if (low is not None and number < low) or (high is not None and number > high):
        raise error(_("{what} must be in {range}; got {got}.").format(what=what, range=rng, got=_got(value)))
    return number


_RATIO = re.compile(r"[0-9]+/[0-9]+")


def _decimal(text: str, value: object, what: str, rng: str, error: type[InputError]) -> Fraction:
    try:
        dec = Decimal(text)
    except InvalidOperation:
        message = _('{what} must be a decimal number in {range} such as "0.05"; got {got}.')
        raise error(message.format(what=what, range=rng, got=_got(value))) from None
    if not dec.is_finite():
        message = _("{what} must be a finite decimal number in {range}; got {got}.")
        raise error(message.format(what=what, range=rng, got=_got(value)))
    digits, exponent = len(dec.as_tuple().digits), int(dec.as_tuple().exponent)
    if digits > MAX_DIGITS or exponent < -MAX_DIGITS or dec.adjusted() >= MAX_DIGITS:
        message = _(
            "{what} must be a decimal number in {range} with at most {digits} digits before and after the "
            "point; got {got}."
        )
        raise error(message.format(what=what, range=rng, digits=MAX_DIGITS, got=_shown(text)))
    return Fraction(dec)


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else repr(text[:40] + "...")


def _bounded(number: Fraction, value: object, what: str, rng: str, error: type[InputError]) -> Fraction:
    """A fraction given as one (or as ``p/q``) with a numerator and denominator of at most ``MAX_DIGITS`` digits."""
    if abs(number.numerator) >= 10**MAX_DIGITS or number.denominator >= 10**MAX_DIGITS:
        message = _(
            "{what} must be a number in {range} whose numerator and denominator have at most {digits} digits; "
            "got {got}."
        )
        raise error(message.format(what=what, range=rng, digits=MAX_DIGITS, got=_shown(str(value))))
    return number


def fraction_text(value: Fraction) -> str:
    """Exact text of a fraction: a decimal when it terminates, else ``p/q``.

    Examples
    --------
    >>> fraction_text(Fraction(1, 20)), fraction_text(Fraction(3)), fraction_text(Fraction(1, 3))
    ('0.05', '3', '1/3')
    """
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    if places == 0:
        return str(value.numerator)
    scaled = value * 10**places
    if scaled.denominator != 1:  # pragma: no cover - 10**places clears the 2s and 5s just counted
        raise InternalError(f"{value} has no terminating decimal of {places} places")
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}".rstrip("0").rstrip(".")


def number_text(value: float | int) -> str:
    """The text of a numeric cell, as Excel shows a number it still holds exactly.

    Whole numbers below 10^15 are their digits; from 10^15 on, what Excel shows
    (``9.14690062012665E+17``): Excel keeps 15 significant digits, so such a
    cell has already lost the rest (a code stored as a number is destroyed).

    Examples
    --------
    >>> number_text(469006600187440.0), number_text(2.5), number_text(9.14690062012665e17), number_text(7)
    ('469006600187440', '2.5', '9.14690062012665E+17', '7')
    """
    if isinstance(value, int):
        return str(value)
    if math.isnan(value) or math.isinf(value):
        return ""
    if abs(value) >= 1e15:
        return f"{value:.15G}"
    return str(int(value)) if value.is_integer() else repr(value)


def cell_text(value: object) -> str:
    """Text of a table cell: numbers by :func:`number_text`, dates in ISO form, empty for missing.

    Examples
    --------
    >>> [cell_text(v) for v in (410302, 1.0, 2.5, None, float("nan"), True, dt.date(2027, 3, 1))]
    ['410302', '1', '2.5', '', '', 'TRUE', '2027-03-01']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        return number_text(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def check_date(value: object, what: str, *, error: type[InputError] = PlanError) -> dt.date:
    """A date, from TOML's date or ``YYYY-MM-DD`` text (a date and time is refused).

    Examples
    --------
    >>> check_date("2027-03-01", "The plan 'start'")
    datetime.date(2027, 3, 1)
    """
    if isinstance(value, dt.datetime):
        raise error(
            _("{what} must be a date such as 2027-03-01 without a time; got {value!r}.").format(what=what, value=value)
        )
    date: dt.date | None = value if isinstance(value, dt.date) else None
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            date = dt.date.fromisoformat(value)
    if date is None:
        raise error(_("{what} must be a date such as 2027-03-01; got {value!r}.").format(what=what, value=value))
    if not DATE_YEARS[0] <= date.year <= DATE_YEARS[1]:
        message = _("{what} must be a date in the years {first} to {last}; got {date}.")
        raise error(message.format(what=what, first=DATE_YEARS[0], last=DATE_YEARS[1], date=date.isoformat()))
    return date


def date_of_text(text: str) -> dt.date | None:
    """A date as registers write it: ``2026-03-10``, ``2026/03/10`` or ``2026.03.10`` (also ``2026/3/10``).

    ``None`` for anything else, or a year outside :data:`DATE_YEARS`. The same rule reads the history's
    dates (:mod:`shuangsuiji.exclusions`).

    Examples
    --------
    >>> date_of_text("2026/3/10"), date_of_text("10.03.2026")
    (datetime.date(2026, 3, 10), None)
    """
    normal = text.strip().replace("/", "-").replace(".", "-")
    try:
        date = dt.datetime.strptime(normal, "%Y-%m-%d").date()
    except ValueError:
        return None
    return date if DATE_YEARS[0] <= date.year <= DATE_YEARS[1] else None


def check_mapping(value: object, what: str, *, error: type[InputError] = PlanError) -> Mapping[str, Any]:
    """Return ``value`` if it is a table (a TOML table / Python mapping)."""
    if not isinstance(value, Mapping):
        raise error(_("{what} must be a table; got {got}.").format(what=what, got=_got(value)))
    return value
