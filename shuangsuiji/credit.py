"""Credit-risk classes and the ratio multipliers that follow them.

SAMR's 国市监信发〔2022〕6号 sorts market entities into credit-risk classes A
(low) to D (high) and asks that random inspection be lighter on A ("无事不扰")
and heavier on C and D, up to full coverage of D for key items. Local rules
differ, so every number here is configuration: a plan gives multipliers of its
base ratio per value of a column (``credit_class``, ``risk_tier``...), and a
stratum's multiplier is the product over its columns.

Examples
--------
>>> from fractions import Fraction
>>> tables = {"credit_class": {"A": Fraction(1, 2), "D": Fraction(4)}}
>>> stratum_multiplier(("credit_class",), ("D",), tables, owner="task 'T1'")
Fraction(4, 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from ._i18n import _
from .exceptions import PlanError
from .validation import check_fraction, check_mapping, value_text

__all__ = [
    "DEFAULT_CREDIT_CLASSES",
    "DEFAULT_CREDIT_COLUMN",
    "CreditPolicy",
    "MultiplierTables",
    "check_multiplier_tables",
    "stratum_multiplier",
]

#: The classes of 国市监信发〔2022〕6号, lowest risk first.
DEFAULT_CREDIT_CLASSES: tuple[str, ...] = ("A", "B", "C", "D")
#: The population column holding an entity's credit-risk class.
DEFAULT_CREDIT_COLUMN = "credit_class"

#: Column -> value -> multiplier, read-only.
MultiplierTables = Mapping[str, Mapping[str, Fraction]]


@dataclass(frozen=True)
class CreditPolicy:
    """How a plan reads the credit-risk class of an entity.

    Parameters
    ----------
    column : str
        Population column of the class; default ``credit_class``.
    classes : tuple of str
        The classes that exist; any other value is an error.
    missing : str or None
        Class given to an entity whose class is empty (new entities are often
        not yet classified); ``None`` makes an empty class an error. Entities
        so classed are counted in the draw's warnings.
    """

    column: str = DEFAULT_CREDIT_COLUMN
    classes: tuple[str, ...] = DEFAULT_CREDIT_CLASSES
    missing: str | None = None

    def __post_init__(self) -> None:
        if not self.classes:
            raise PlanError(_("The 'credit.classes' of the plan must list at least one class."))
        if self.missing is not None and self.missing not in self.classes:
            message = _("The 'credit.missing' of the plan must be one of the classes {classes}; got {value!r}.")
            raise PlanError(message.format(classes=list(self.classes), value=self.missing))


def check_multiplier_tables(raw: object, owner: str) -> MultiplierTables:
    """Read ``[multipliers.<column>]`` tables into exact fractions.

    Parameters
    ----------
    raw : mapping
        Column -> value -> number, as TOML gives it.
    owner : str
        ``"the plan"`` or ``"task 'T1'"``, for messages.

    Returns
    -------
    Mapping
        Column -> value -> :class:`~fractions.Fraction` (read-only).

    Examples
    --------
    >>> t = check_multiplier_tables({"credit_class": {"A": "0.5", "B": 1}}, "the plan")
    >>> dict(t["credit_class"])
    {'A': Fraction(1, 2), 'B': Fraction(1, 1)}
    """
    tables = check_mapping(raw, _("The 'multipliers' of {owner}").format(owner=owner))
    out: dict[str, Mapping[str, Fraction]] = {}
    for column, table in tables.items():
        entries = check_mapping(table, _("The 'multipliers.{column}' of {owner}").format(column=column, owner=owner))
        if not entries:
            message = _("The 'multipliers.{column}' of {owner} is empty; give a multiplier per value or drop it.")
            raise PlanError(message.format(column=column, owner=owner))
        each = _("A value of 'multipliers.{column}' of {owner}").format(column=column, owner=owner)
        out[column] = MappingProxyType(
            {
                value_text(value, each): check_fraction(
                    number,
                    _("The multiplier of {column}={value} in {owner}").format(column=column, value=value, owner=owner),
                    high=None,
                )
                for value, number in entries.items()
            }
        )
    return MappingProxyType(out)


def stratum_multiplier(
    columns: Sequence[str],
    values: Sequence[str],
    tables: MultiplierTables,
    *,
    owner: str,
) -> Fraction:
    """Product of the multipliers of a stratum's values.

    A column without a table contributes 1; a value missing from its column's
    table is an error (a plan must say what it means for every value).

    Raises
    ------
    PlanError
        If a value has no multiplier in its column's table.
    """
    product = Fraction(1)
    for column, value in zip(columns, values, strict=True):
        table = tables.get(column)
        if table is None:
            continue
        if value not in table:
            message = _(
                "The multipliers of {column!r} used by {owner} have no entry for the value {value!r} "
                "found in the population; add '{value}' = \"...\" to [multipliers.{column}] "
                "(known values: {known})."
            )
            raise PlanError(message.format(column=column, owner=owner, value=value, known=sorted(table)))
        product *= table[value]
    return product
