"""Each team's candidates: the officers a seeded walk round the group meets first (``docs/assignment.md``, section 4).

With the plan's ``[assignment] candidates = K`` above 0, a group's people stand round a circle in the
order of their ``circle`` digests (scope ``circle``, ``seed ":circle:" inspector_id``, compared as
bytes), and each team walks round it once from its own start (bytes 0-7 of its ``start`` digest,
``seed ":start:" visit_id "|" department``, big-endian, modulo the number of people). Its candidates
are the first ``max(K, size)`` eligible people it meets and the first ``K`` who may lead it; only
those pairs get a random cost and an arc. A team with no more eligible people than that keeps them
all, so ``K`` changes nothing in a small group, and with ``K = 0`` every eligible person is a
candidate. The starts spread evenly round the circle, and nobody can choose them: the seed did not
exist when the plan and the roster were committed. For one seed the walk is not the same for
everyone (a person just after people who cannot serve a team is met early by more teams); over
seeds everyone has the same chance.

Examples
--------
>>> from shuangsuiji.seed import Seed
>>> eligible = np.ones((4, 1), dtype=bool)
>>> keep = candidate_mask(Seed.of("0" * 64), ["A", "B", "C", "D"], [("V1", "d")], np.array([2]),
...                       eligible=eligible, may_lead=np.zeros((4, 1), dtype=bool), count=2)
>>> int(keep.sum())
2
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ..seed import Seed

__all__ = ["candidate_mask", "circle_order", "start_positions"]

#: Person x team cells walked at a time (a few arrays of this many 8-byte numbers at once).
_CELLS = 1 << 22


def circle_order(seed: Seed, people: list[str]) -> npt.NDArray[np.int64]:
    """The people's indices in circle order: by their ``circle`` digests, as unsigned bytes.

    Examples
    --------
    >>> circle_order(Seed.of("0" * 64), ["A", "B", "C"]).tolist() == sorted(
    ...     range(3), key=lambda i: Seed.of("0" * 64).circle_ticket("ABC"[i]))
    True
    """
    tickets = [seed.circle_ticket(p) for p in people]
    return np.asarray(sorted(range(len(people)), key=tickets.__getitem__), dtype=np.int64)


def start_positions(seed: Seed, team_keys: list[tuple[str, str]], people: int) -> npt.NDArray[np.int64]:
    """Where each team's walk starts: bytes 0-7 of its ``start`` digest, big-endian, modulo ``people``.

    Examples
    --------
    >>> s = Seed.of("0" * 64)
    >>> int(start_positions(s, [("V1", "d")], 7)[0]) == int.from_bytes(s.start_ticket("V1", "d")[:8], "big") % 7
    True
    """
    return np.asarray(
        [int.from_bytes(seed.start_ticket(v, d)[:8], "big") % people for v, d in team_keys], dtype=np.int64
    )


def candidate_mask(
    seed: Seed,
    people: list[str],
    team_keys: list[tuple[str, str]],
    size: npt.NDArray[np.int64],
    *,
    eligible: npt.NDArray[np.bool_],
    may_lead: npt.NDArray[np.bool_],
    count: int,
) -> npt.NDArray[np.bool_]:
    """The (person x team) pairs that are candidates: a subset of ``eligible``, all of it when ``count`` is 0.

    ``eligible`` and ``may_lead`` (within it) are person x team; ``size`` the teams' sizes. A team's
    candidates are the first ``max(count, size)`` eligible people its walk meets and the first ``count``
    who may lead it.
    """
    n_p, n_t = eligible.shape
    if count <= 0 or n_p == 0 or n_t == 0:
        return eligible
    members = np.maximum(np.asarray(size, dtype=np.int64), count)
    if not ((eligible.sum(axis=0) > members).any() or (may_lead.sum(axis=0) > count).any()):
        return eligible  # every team keeps everyone eligible: no walk needed
    order = circle_order(seed, people)
    starts = start_positions(seed, team_keys, n_p)
    steps = np.arange(n_p, dtype=np.int64)[:, None]
    out = np.zeros_like(eligible)
    width = max(1, _CELLS // n_p)  # teams at a time, so that a city-wide group stays within memory
    for first in range(0, n_t, width):
        teams = np.arange(first, min(first + width, n_t), dtype=np.int64)
        # met[j, i]: the person team teams[i] meets j-th on its walk (its start, start + 1, ... round the circle)
        met = order[(starts[teams][None, :] + steps) % n_p]
        columns = np.broadcast_to(teams[None, :], met.shape)
        met_eligible, met_lead = eligible[met, columns], may_lead[met, columns]
        keep = met_eligible & (np.cumsum(met_eligible, axis=0, dtype=np.int32) <= members[teams][None, :])
        keep |= met_lead & (np.cumsum(met_lead, axis=0, dtype=np.int32) <= count)
        out[met, columns] = keep
    return out
