"""CP-SAT repairs of teams that put two officers who must not work together side by side.

The flow cannot express "these two officers never share a team". A group whose
optimal flow breaks such a pair keeps the flow's other teams and re-staffs
only the teams that break one, one team at a time in team order, each by a
small CP-SAT model (a dozen variables; one worker, fixed seed, deterministic
time limit, so the answer is reproducible) on the capacity that remains, with
the load costs continuing from the officers' loads.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from .encode import Group

__all__ = ["breaks_exclusions", "repair_teams", "solve_cpsat"]

_CPSAT_TIME = 60.0  # deterministic seconds


def breaks_exclusions(g: Group, chosen: Mapping[int, bool]) -> set[int]:
    """The teams of a solution that hold a pair of officers who must not work together."""
    if not g.exclusive:
        return set()
    # Only the officers of some pair matter: a team can break a pair only through two of them.
    paired = set().union(*g.exclusive)
    teams: dict[int, set[str]] = {}
    for i in chosen:
        officer = g.officer_ids[g.pair_o[i]]
        if officer in paired:
            teams.setdefault(int(g.pair_t[i]), set()).add(officer)
    return {t for t, members in teams.items() if any(pair <= members for pair in g.exclusive)}


def solve_cpsat(
    g: Group, active: npt.NDArray[np.bool_], base_load: npt.NDArray[np.int64]
) -> tuple[dict[int, bool], int, str]:
    """Staff the ``active`` teams by CP-SAT, team-pair exclusions included; returns chosen pairs -> is_lead.

    Officers already carry ``base_load`` visits (of teams kept from the flow): their capacity is
    what remains, and the convex load costs continue from there.
    """
    model = cp_model.CpModel()
    use = np.flatnonzero(active[g.pair_t])
    x = {int(i): model.new_bool_var(f"x{i}") for i in use}
    y = {int(i): model.new_bool_var(f"y{i}") for i in use if g.pair_lead[i]}
    by_team: dict[int, list[int]] = {}
    by_officer: dict[int, list[int]] = {}
    for i in x:
        by_team.setdefault(int(g.pair_t[i]), []).append(i)
        by_officer.setdefault(int(g.pair_o[i]), []).append(i)
    for i, yi in y.items():
        model.add_implication(yi, x[i])
    for t, members in by_team.items():
        model.add(sum(x[i] for i in members) == int(g.size[t]))
        if g.lead_needed[t]:
            model.add(sum(y[i] for i in members if i in y) == 1)
        ids = {g.officer_ids[g.pair_o[i]]: i for i in members}
        for pair in g.exclusive:
            a, b = sorted(pair)
            if a in ids and b in ids:
                model.add(x[ids[a]] + x[ids[b]] <= 1)
    objective = []
    for o, mine in by_officer.items():
        load = sum(x[i] for i in mine)
        base = int(base_load[o])
        k_max = int(max(0, min(g.capacity[o] - base, len(mine))))
        units = [model.new_bool_var(f"u{o}_{k}") for k in range(k_max)]
        model.add(load == sum(units))
        for k in range(1, k_max):
            model.add_implication(units[k], units[k - 1])
        objective += [g.load_step * (base + k + 1) * u for k, u in enumerate(units)]
    objective += [int(g.cost[i]) * v for i, v in x.items()]
    objective += [int(g.lead_cost[i]) * v for i, v in y.items()]
    model.minimize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = _CPSAT_TIME
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return {}, 0, "infeasible"
    chosen = {i: i in y and bool(solver.value(y[i])) for i in x if solver.value(x[i])}
    return chosen, int(solver.objective_value), "optimal" if status == cp_model.OPTIMAL else "feasible"


def repair_teams(
    g: Group,
    chosen: dict[int, bool],
    broken: set[int],
    *,
    active: npt.NDArray[np.bool_],
    unstaffed: dict[int, str],
) -> tuple[dict[int, bool], str]:
    """Re-staff the ``broken`` teams one at a time; returns the new choice and the group's status.

    A team no model can staff is set aside (``active`` and ``unstaffed`` are updated in place).
    """
    status = "optimal"
    for t in sorted(broken):
        chosen = {i: lead for i, lead in chosen.items() if int(g.pair_t[i]) != t}
        base_load = np.bincount(g.pair_o[list(chosen)], minlength=len(g.officer_ids)).astype(np.int64)
        only = np.zeros(len(g.team_keys), dtype=bool)
        only[t] = True
        repaired, _, team_status = solve_cpsat(g, only, base_load)
        if team_status == "infeasible":
            unstaffed[t] = (
                f"no team without a pair of officers who must not work together, within the capacity left "
                f"in {g.name} for {g.department}"
            )
            active[t] = False
        else:
            chosen.update(repaired)
            status = "repaired" if team_status == "optimal" else "repaired, not proven optimal"
    return chosen, status
