"""Parts of a plan file read apart from its tasks: ``[credit]``, ``[exclusions]``, the file's text (private)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._i18n import _
from .credit import DEFAULT_CREDIT_COLUMN, CreditPolicy
from .exceptions import PlanError
from .validation import check_keys, check_mapping, check_text, check_text_list

__all__ = ["parse_credit", "parse_exclusions", "read_plan_document"]

_CREDIT_KEYS = ("column", "classes", "missing")
_EXCLUSION_KEYS = ("status_column", "statuses")


def parse_credit(doc: Mapping[str, Any]) -> CreditPolicy:
    """The plan's ``[credit]`` table: which column holds the credit class, its classes, the class of a blank."""
    raw = check_mapping(doc.get("credit", {}), _("The plan 'credit'"))
    check_keys(raw, _CREDIT_KEYS, _("The plan's [credit] table"))
    return CreditPolicy(
        column=check_text(raw.get("column", DEFAULT_CREDIT_COLUMN), _("The 'credit.column' of the plan")),
        classes=check_text_list(raw.get("classes", ["A", "B", "C", "D"]), _("The 'credit.classes' of the plan")),
        missing=check_text(raw["missing"], _("The 'credit.missing' of the plan")) if "missing" in raw else None,
    )


def parse_exclusions(doc: Mapping[str, Any], default: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The plan's ``[exclusions]`` table: the status column and the statuses never drawn (``default`` if unset)."""
    excl = check_mapping(doc.get("exclusions", {}), _("The plan 'exclusions'"))
    check_keys(excl, _EXCLUSION_KEYS, _("The plan's [exclusions] table"))
    statuses = (
        check_text_list(excl["statuses"], _("The 'exclusions.statuses' of the plan")) if "statuses" in excl else default
    )
    column = check_text(excl.get("status_column", "status"), _("The 'exclusions.status_column' of the plan"))
    return column, statuses


def read_plan_document(path: Path) -> dict[str, Any]:
    """The TOML document of a plan file (UTF-8, with or without BOM).

    Raises
    ------
    PlanError
        If the file is not UTF-8 or not valid TOML.
    FileNotFoundError
        If there is no such file.
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = _("{path}: the plan is not UTF-8 (byte {byte} cannot be read); TOML files must be saved as UTF-8.")
        raise PlanError(message.format(path=path, byte=exc.start)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(_("{path}: not valid TOML: {exc}.").format(path=path, exc=exc)) from None
