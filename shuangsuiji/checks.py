"""The record of a verification: one :class:`Check` per step, gathered in a :class:`Verification`.

Published files are untrusted input: a step that cannot run (a missing or
malformed file) becomes a failed check instead of stopping the others, and a
step that needs an optional part of the library that is not installed is
recorded as not run (``skip``), never as passed.

Examples
--------
>>> rec = Recorder()
>>> rec.check("seed", True, "given directly")
True
>>> rec.attempt("manifest readable", lambda: 1 / 0) is None
True
>>> print(rec.done())
ok    seed: given directly
FAIL  manifest readable: ZeroDivisionError: division by zero
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ._i18n import _, shown
from ._progress import heard, stage

__all__ = ["Check", "Recorder", "Verification"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class Check:
    """One verification step: its name, whether it passed, and what was compared.

    ``skipped`` marks a step that could not run here (an optional dependency
    missing); it counts as not passed. ``withheld`` marks a step that needs a
    file the bureau deliberately did not publish (the population, listed in
    ``publication.json``): it is neither passed nor failed, and the verdict
    names it.
    """

    name: str
    ok: bool
    detail: str = ""
    skipped: bool = False
    withheld: bool = False

    def __str__(self) -> str:
        mark = _("ok  ") if self.ok else _("skip") if self.skipped else _("n/a ") if self.withheld else _("FAIL")
        name = shown(self.name)
        return f"{mark}  " + (_("{check}: {detail}").format(check=name, detail=self.detail) if self.detail else name)


@dataclass(frozen=True)
class Verification:
    """All checks of a verification; :attr:`ok` when every one passed."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """Whether every check that could be made passed (and at least one was)."""
        made = [c for c in self.checks if not c.withheld]
        return bool(made) and all(c.ok for c in made)

    @property
    def failed(self) -> int:
        """How many checks failed (not counting those that could not run)."""
        return sum(not c.ok and not c.skipped and not c.withheld for c in self.checks)

    @property
    def withheld(self) -> int:
        """How many checks need files that were deliberately not published."""
        return sum(c.withheld for c in self.checks)

    @property
    def skipped(self) -> int:
        """How many checks could not run here."""
        return sum(c.skipped for c in self.checks)

    def verdict(self) -> str:
        """One line: ``VERIFIED: ...`` or ``NOT VERIFIED: ...`` with the counts."""
        passed = sum(c.ok for c in self.checks)
        if self.ok:
            if self.withheld:
                return _(
                    "VERIFIED (the published files): {passed} checks passed, 0 failed; {withheld} need "
                    "inputs the bureau did not publish (marked n/a)."
                ).format(passed=passed, withheld=self.withheld)
            return _("VERIFIED: {passed} checks passed, 0 failed.").format(passed=passed)
        tail = _(", {skipped} not run").format(skipped=self.skipped) if self.skipped else ""
        message = _("NOT VERIFIED: {passed} checks passed, {failed} failed{tail}.")
        return message.format(passed=passed, failed=self.failed, tail=tail)

    def __str__(self) -> str:
        return "\n".join(map(str, self.checks))


class Recorder:
    """Collects checks as a verification runs."""

    def __init__(self) -> None:
        self.checks: list[Check] = []

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        """Record one check; returns whether it passed."""
        self._record(Check(name, bool(ok), detail))
        return bool(ok)

    def skip(self, name: str, detail: str) -> None:
        """Record a check that could not run here, and why."""
        self._record(Check(name, False, detail, skipped=True))

    def withhold(self, name: str, detail: str) -> None:
        """Record a check that needs a file the bureau deliberately did not publish, and which."""
        self._record(Check(name, False, detail, withheld=True))

    def _record(self, check: Check) -> None:
        self.checks.append(check)
        if heard():
            stage(_("checked: {name}").format(name=shown(check.name)))

    def attempt(self, name: str, fn: Callable[[], _T]) -> _T | None:
        """Run ``fn``; any error (published files are untrusted input) becomes a failed check."""
        try:
            return fn()
        except Exception as exc:  # reported as a failed check, never swallowed
            text = str(exc).splitlines()[0] if str(exc) else ""
            self.check(name, False, f"{type(exc).__name__}: {text}")
            return None

    def done(self) -> Verification:
        """The verification recorded so far."""
        return Verification(tuple(self.checks))
