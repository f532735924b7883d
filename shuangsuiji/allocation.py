"""Allocation of a task's sample to its strata, in exact rational arithmetic.

This is step 3 of the draw specification (``docs/algorithm.md``). For a base
ratio ``r``, stratum ``h`` with ``N_h`` eligible entities and multiplier
``m_h``, the quota is ``x_h(r) = N_h`` for a take-all stratum and
``min(N_h, r * m_h * N_h)`` otherwise. If ``sum x_h(r)`` falls short of the
floor ``f * N``, the ratio is raised to the smallest ``r' > r`` at which the
quotas sum to exactly ``f * N``. The sample is ``n = ceil(sum x_h)``; each
stratum gets ``floor(x_h)`` and the ``n - sum floor(x_h)`` remaining units go
one each to the strata with the largest fractional parts, ties broken by label
in code-point order (largest-remainder rounding).

Examples
--------
>>> from fractions import Fraction as F
>>> a = allocate([StratumSpec("credit_class=A", 100, F(1, 2)), StratumSpec("credit_class=D", 3, F(4), take_all=True)],
...              ratio=F(1, 100), floor=F(1, 20))
>>> a.floor_binding, a.ratio, [s.sample for s in a.strata]
(True, Fraction(43, 1000), [3, 3])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ._i18n import _
from .exceptions import AllocationError, InputError, InternalError
from .validation import fraction_text

__all__ = ["StratumAllocation", "StratumSpec", "TaskAllocation", "allocate"]


@dataclass(frozen=True)
class StratumSpec:
    """What the allocation needs to know of one stratum.

    Parameters
    ----------
    label : str
        ``col=value|col=value`` in the task's strata order.
    population : int
        ``N_h``, its eligible entities.
    multiplier : Fraction
        ``m_h``, product of its values' multipliers (non-negative).
    take_all : bool
        Whether the stratum is drawn at 100%.
    """

    label: str
    population: int
    multiplier: Fraction = Fraction(1)
    take_all: bool = False


@dataclass(frozen=True)
class StratumAllocation:
    """A stratum's quota ``x_h`` and its rounded sample ``n_h``."""

    label: str
    population: int
    multiplier: Fraction
    take_all: bool
    quota: Fraction
    sample: int

    @property
    def inclusion_probability(self) -> Fraction:
        """``n_h / N_h``, exactly (0 for an empty stratum)."""
        return Fraction(self.sample, self.population) if self.population else Fraction(0)


@dataclass(frozen=True)
class TaskAllocation:
    """The allocation of one task.

    Attributes
    ----------
    base_ratio : Fraction
        The task's ratio ``r``.
    ratio : Fraction
        The ratio used: ``r``, or ``r'`` when the floor binds.
    floor : Fraction
        The floor ``f``.
    eligible : int
        ``N``, all eligible entities of the task.
    floor_binding : bool
        Whether the ratio was raised to meet the floor.
    sample : int
        ``n = ceil(sum x_h)``.
    strata : tuple of StratumAllocation
        In label (code-point) order.
    """

    base_ratio: Fraction
    ratio: Fraction
    floor: Fraction
    eligible: int
    floor_binding: bool
    sample: int
    strata: tuple[StratumAllocation, ...]
    minimum: int = 0

    @property
    def floor_target(self) -> Fraction:
        """``max(f * N, min(minimum, N))``: the least total quota the floor and the minimum allow."""
        return max(self.floor * self.eligible, Fraction(min(self.minimum, self.eligible)))

    @property
    def total_quota(self) -> Fraction:
        """``sum x_h``."""
        return sum((s.quota for s in self.strata), Fraction(0))


def _quotas(specs: Sequence[StratumSpec], r: Fraction) -> list[Fraction]:
    return [
        Fraction(s.population) if s.take_all else min(Fraction(s.population), r * s.multiplier * s.population)
        for s in specs
    ]


def _raise_to_floor(specs: Sequence[StratumSpec], r: Fraction, target: Fraction, owner: str) -> Fraction:
    """The smallest ``r' > r`` with ``sum x_h(r') == target`` (given ``sum x_h(r) < target``).

    ``sum x_h`` is continuous, piecewise linear and non-decreasing in ``r``;
    stratum ``h`` stops growing at its breakpoint ``1 / m_h``. Walk the
    breakpoints above ``r`` and solve the linear piece that crosses the target.
    """
    growing = [s for s in specs if not s.take_all and s.multiplier > 0 and s.population > 0]
    reachable = sum((Fraction(s.population) for s in specs if s.take_all), Fraction(0)) + sum(
        (Fraction(s.population) for s in growing), Fraction(0)
    )
    if reachable < target:
        idle = [s.label for s in specs if not s.take_all and s.multiplier == 0 and s.population > 0]
        why = (
            _("strata with multiplier 0 can never be drawn: {strata}").format(strata=idle)
            if idle
            else _("there are too few entities")
        )
        message = _(
            "The floor of {owner} needs a total quota of {target} entities, but even a ratio of "
            "100% reaches only {reachable}: {why}. Lower the floor or give those strata a "
            "positive multiplier."
        )
        target_text, reachable_text = fraction_text(target), fraction_text(reachable)
        raise AllocationError(message.format(owner=owner, target=target_text, reachable=reachable_text, why=why))
    breakpoints = sorted({1 / s.multiplier for s in growing if 1 / s.multiplier > r})
    lo = r
    for hi in [*breakpoints, None]:
        # On (lo, hi) the strata still growing are those whose breakpoint is above lo.
        slope = sum((s.multiplier * s.population for s in growing if 1 / s.multiplier > lo), Fraction(0))
        base = sum(_quotas(specs, lo), Fraction(0))
        if slope > 0:
            candidate = lo + (target - base) / slope
            if hi is None or candidate <= hi:
                return candidate
        lo = hi  # type: ignore[assignment]
    raise InternalError("unreachable: the target was checked to be reachable")  # pragma: no cover


def allocate(
    strata: Sequence[StratumSpec],
    *,
    ratio: Fraction,
    floor: Fraction = Fraction(0),
    minimum: int = 0,
    owner: str | None = None,
) -> TaskAllocation:
    """Allocate a task's sample to its strata (step 3 of the specification).

    Parameters
    ----------
    strata : sequence of StratumSpec
        The task's strata; labels must be distinct.
    ratio : Fraction
        Base ratio ``r`` in [0, 1].
    floor : Fraction
        Floor ``f`` in [0, 1].
    minimum : int
        Least number drawn in all (capped at the eligible entities): the floor target is
        ``max(f * N, min(minimum, N))``, met exactly as the floor is.
    owner : str, optional
        Name of the task for messages (by default "the task").

    Returns
    -------
    TaskAllocation
        Strata in label (code-point) order.

    Raises
    ------
    AllocationError
        If no ratio reaches the floor (for example all multipliers are 0).
    """
    owner = _("the task") if owner is None else owner
    specs = sorted(strata, key=lambda s: s.label)
    labels = [s.label for s in specs]
    if len(set(labels)) != len(labels):
        raise InputError(_("Stratum labels must be distinct; got {labels}.").format(labels=labels))
    if any(s.multiplier < 0 or s.population < 0 for s in specs):
        raise InputError(_("Stratum multipliers and populations must be non-negative."))
    if minimum < 0:
        raise InputError(
            _("The minimum of {owner} must be 0 or more; got {minimum}.").format(owner=owner, minimum=minimum)
        )
    eligible = sum(s.population for s in specs)
    target = max(floor * eligible, Fraction(min(minimum, eligible)))
    quotas = _quotas(specs, ratio)
    used = ratio
    binding = sum(quotas, Fraction(0)) < target
    if binding:
        used = _raise_to_floor(specs, ratio, target, owner)
        quotas = _quotas(specs, used)
        if sum(quotas, Fraction(0)) != target:  # pragma: no cover - guarded by _raise_to_floor's algebra
            raise InternalError("floor solution does not meet the target exactly")
    n = math.ceil(sum(quotas, Fraction(0)))
    sizes = [math.floor(q) for q in quotas]
    remaining = n - sum(sizes)
    # Largest fractional part first; ties by label in code-point order (specs are label-sorted, sort is stable).
    by_remainder = sorted(range(len(specs)), key=lambda i: -(quotas[i] - sizes[i]))
    for i in by_remainder[:remaining]:
        sizes[i] += 1
    out = tuple(
        StratumAllocation(s.label, s.population, s.multiplier, s.take_all, q, k)
        for s, q, k in zip(specs, quotas, sizes, strict=True)
    )
    return TaskAllocation(
        base_ratio=ratio,
        ratio=used,
        floor=floor,
        eligible=eligible,
        floor_binding=binding,
        sample=n,
        strata=out,
        minimum=minimum,
    )
