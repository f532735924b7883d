"""Two fields of a year plan (``year.toml``), checked: the year's target, the kinds the caps leave out (private).

:mod:`shuangsuiji.year` builds the year plan from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from ._i18n import _
from .exceptions import YearError
from .ledger.entries import CHECK_KINDS
from .validation import check_fraction, check_mapping, check_text_list

__all__ = ["DEFAULT_EXEMPT", "exempt_kinds", "year_target"]

#: Kinds of check that count toward neither the caps nor the cool-downs by default: case checks
#: (国办发〔2024〕54号: 投诉举报, 转办交办/移送, 复查整改, 许可核查).
DEFAULT_EXEMPT: tuple[str, ...] = ("complaint", "referral", "recheck", "licensing")


def year_target(raw: Mapping[str, Any], year: int) -> Fraction:
    """The year's target share from its ``[indicator]`` table: ``target`` (5% by default), or ``trajectory``'s value."""
    if "trajectory" in raw and "target" in raw:
        raise YearError(_("The year's [indicator] gives both 'target' and 'trajectory'; give one of them."))
    if "trajectory" in raw:
        path = check_mapping(raw["trajectory"], _("The 'indicator.trajectory' of the year"), error=YearError)
        if str(year) not in path:
            message = _("The 'indicator.trajectory' of the year has no target for {year}; it covers {years}.")
            raise YearError(message.format(year=year, years=sorted(path)))
        what = _("The target of {year} in 'indicator.trajectory'").format(year=year)
        return check_fraction(path[str(year)], what, error=YearError, ratios=True)
    what = _("The 'indicator.target' of the year")
    return check_fraction(raw.get("target", "0.05"), what, error=YearError, ratios=True)


def exempt_kinds(caps: Mapping[str, Any]) -> tuple[str, ...]:
    """The kinds of check the caps leave out: a list of the ledger's kinds (``[]``: none)."""
    if "exempt" not in caps:
        return DEFAULT_EXEMPT
    raw = caps["exempt"]
    if raw == []:
        return ()
    kinds = check_text_list(raw, "'caps.exempt'", error=YearError)
    unknown = [k for k in kinds if k not in CHECK_KINDS]
    if unknown:
        message = _("'caps.exempt' names {unknown}, which are not kinds of check; they are {kinds}.")
        raise YearError(message.format(unknown=unknown, kinds=list(CHECK_KINDS)))
    return kinds
