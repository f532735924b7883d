"""The published tables checked against the specification directly, without the draw's code (private).

``verify`` runs these beside the recomputation: every selected entity's ticket recomputed and
compared with its stratum's threshold, the strata's sizes against ``selection.csv``, the floors,
and no excluded entity selected (docs/ceremony.md lists every check).
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

import pandas as pd

from ._i18n import N_, _
from .checks import Recorder
from .manifest import Manifest, StratumRecord
from .salting import MASK, label_matches
from .sampling import ticket

__all__ = ["independent_checks"]


def _size_mismatches(
    counts: Mapping[tuple[str, str], int],
    strata: Mapping[tuple[str, str], StratumRecord],
    columns: Mapping[str, list[str]],
) -> list[tuple[str, str]]:
    """Strata whose published sample is not the number of their rows in ``selection.csv``.

    A masked label (a plan that hides fields) counts the rows of every stratum it may stand for.
    """
    masked = {k for k in counts if MASK in k[1]}
    wrong = [
        k
        for k in sorted(masked)
        if counts[k]
        != sum(s.sample for (t, lab), s in strata.items() if t == k[0] and label_matches(k[1], lab, columns[k[0]]))
    ]
    for k, s in strata.items():
        if s.sample > s.population or (not masked and counts.get(k, 0) != s.sample):
            wrong.append(k)
    return wrong


def independent_checks(rec: Recorder, out: Path, manifest: Manifest) -> None:
    """Check the published tables against the specification directly, without the draw's code."""
    try:
        selection = pd.read_csv(out / "selection.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        excluded = pd.read_csv(out / "excluded.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        rec.check(N_("tickets and thresholds"), False, _("cannot read the tables: {error}").format(error=exc))
        return
    strata = {(t.id, s.label): s for t in manifest.tasks for s in t.strata}
    scopes = {t.id: t.scope for t in manifest.tasks}
    columns = {
        str(t.get("id")): list(t.get("strata", [])) for t in manifest.plan.get("tasks", []) if isinstance(t, dict)
    }
    bad = []
    for row in selection.to_dict("records"):
        # a masked label (a plan that hides fields) stands for every stratum it may be: the highest threshold
        task, label = row["task_id"], row["stratum"]
        matching = [strata[(task, label)]] if (task, label) in strata else []
        if not matching and MASK in label:
            matching = [s for (t, lab), s in strata.items() if t == task and label_matches(label, lab, columns[task])]
        mine = ticket(manifest.seed, scopes.get(task, ""), row["uscc"])
        if not matching or mine != row["ticket"] or not mine <= max(s.threshold for s in matching):
            bad.append(row["uscc"])
    rec.check(
        N_("tickets and thresholds"),
        not bad,
        _("{n} selected entities: tickets recomputed, each at or below its stratum's threshold").format(
            n=len(selection)
        )
        if not bad
        else _("{n} selected entities fail (first {code})").format(n=len(bad), code=bad[0]),
    )
    sizes = selection.groupby(["task_id", "stratum"]).size().reset_index(name="rows")
    counts = {
        (str(t), str(lab)): int(n) for t, lab, n in zip(sizes["task_id"], sizes["stratum"], sizes["rows"], strict=True)
    }
    wrong = _size_mismatches(counts, strata, columns)
    said = (
        _("{n} strata").format(n=len(strata)) if not wrong else _("first mismatch {stratum}").format(stratum=wrong[0])
    )
    rec.check(N_("stratum sizes"), not wrong, said)
    minimum = {str(t.get("id")): t.get("minimum") for t in manifest.plan.get("tasks", []) if isinstance(t, dict)}
    floors = []
    for t in manifest.tasks:
        total = sum(s.sample for s in t.strata)
        least = minimum.get(t.id)
        least = min(least, t.eligible) if isinstance(least, int) else 0
        if total != t.sample or total < Fraction(t.floor) * t.eligible or total < least:
            floors.append(t.id)
    rec.check(N_("floors"), not floors, _("{n} tasks").format(n=len(manifest.tasks)) if not floors else f"{floors}")
    both = selection.merge(excluded, on=["task_id", "uscc"])
    rec.check(N_("excluded never selected"), both.empty, _("{n} exclusions").format(n=len(excluded)))
