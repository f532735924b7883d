"""When a draw is disclosed: the plan's ``[publication]`` table (``docs/plan.md``, ``docs/ceremony.md``).

An open plan (the default) publishes the draw, its tables and the revealed
secret at once. A **sealed** plan publishes at the draw only what binds it
(the commitment and the manifest's SHA-256) and reveals the rest when the
window closes (``reveal_by``, by default the plan's ``end``), so that a firm
cannot learn before an unannounced inspection that it was drawn; a reveal that
never comes is visible, since the sealed publication names its date.

Examples
--------
>>> parse_publication({"mode": "sealed", "reveal_by": "2027-04-01"}).to_dict()
{'mode': 'sealed', 'reveal_by': '2027-04-01'}
>>> PublicationPolicy().is_default
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal

from ._i18n import _
from .exceptions import PlanError
from .validation import check_date, check_keys, check_mapping, check_text_list

__all__ = ["PUBLICATION_MODES", "PublicationPolicy", "check_hidden", "parse_publication"]

#: The modes of publication a plan may choose.
PUBLICATION_MODES = ("open", "sealed")
_KEYS = ("mode", "reveal_by", "hidden")


@dataclass(frozen=True)
class PublicationPolicy:
    """How and when a draw is disclosed.

    Attributes
    ----------
    mode : {'open', 'sealed'}
        Everything at the draw, or only the commitment and the manifest's SHA-256 until ``reveal_by``.
    reveal_by : date or None
        The last day of the seal (a sealed plan's; its ``end`` if not given).
    hidden : tuple of str
        Population columns no published file shows for any firm (the credit class, a risk tier):
        they enter the Merkle leaves as salted commitments, and the public tables mask them.
    """

    mode: Literal["open", "sealed"] = "open"
    reveal_by: dt.date | None = None
    hidden: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        """Whether this is the default (open) policy, which plan records leave out."""
        return self == PublicationPolicy()

    @property
    def sealed(self) -> bool:
        """Whether the draw stays sealed until :attr:`reveal_by`."""
        return self.mode == "sealed"

    def to_dict(self) -> dict[str, Any]:
        """The ``[publication]`` table, as a plan record holds it."""
        out: dict[str, Any] = {"mode": self.mode}
        if self.reveal_by is not None:
            out["reveal_by"] = self.reveal_by.isoformat()
        if self.hidden:
            out["hidden"] = list(self.hidden)
        return out


def parse_publication(raw: object, *, end: dt.date | None = None) -> PublicationPolicy:
    """Read a plan's ``[publication]`` table; a sealed plan's ``reveal_by`` defaults to the plan's ``end``.

    Raises
    ------
    PlanError
        For an unknown key or mode, a date that is not one, or a sealed plan with no day to reveal.
    """
    doc = check_mapping(raw, "The plan's [publication] table")
    check_keys(doc, _KEYS, "The plan's [publication] table")
    mode = doc.get("mode", "open")
    if mode not in PUBLICATION_MODES:
        said = _("The 'publication.mode' of the plan is one of {modes}; got {mode!r}.")
        raise PlanError(said.format(modes=list(PUBLICATION_MODES), mode=mode))
    reveal_by = check_date(doc["reveal_by"], "The 'publication.reveal_by' of the plan") if "reveal_by" in doc else None
    hidden = (
        tuple(sorted(set(check_text_list(doc["hidden"], "The 'publication.hidden' of the plan"))))
        if "hidden" in doc
        else ()
    )
    if mode == "open":
        if reveal_by is not None:
            raise PlanError(_("'publication.reveal_by' goes with mode = \"sealed\"; an open plan reveals at the draw."))
        return PublicationPolicy(hidden=hidden)
    reveal_by = reveal_by or end
    if reveal_by is None:
        raise PlanError(
            _(
                "A sealed plan reveals its draw on a day everyone knows: add publication.reveal_by = 2027-04-01 "
                "(or the plan's end)."
            )
        )
    return PublicationPolicy("sealed", reveal_by, hidden)


#: Columns the visit plan and the notices print, which no plan can hide.
_SHOWN = ("uscc", "name", "region", "station")


def check_hidden(policy: PublicationPolicy, *, credit: str, strata: Collection[str], where: Collection[str]) -> None:
    """Refuse hidden columns the library cannot keep out of what it publishes.

    A hidden column is the credit column or a strata column: a ``where`` column would show in who was
    in scope, the status in the exclusions, and the code, name, region and station are printed on the
    visit plan and the notices.

    Raises
    ------
    PlanError
        Naming the column and why.
    """
    for column in policy.hidden:
        if column in _SHOWN or column in where or (column != credit and column not in strata):
            raise PlanError(
                _(
                    "The plan's publication.hidden names {column!r}: only the credit column ({credit!r}) and strata "
                    "columns that no task's 'where' reads can be hidden (code, name, region and station are printed "
                    "on the visit plan, a 'where' column shows in who was in scope)."
                ).format(column=column, credit=credit)
            )
