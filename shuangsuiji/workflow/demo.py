"""A whole batch on the example city, end to end: the ``shuangsuiji demo`` command.

Writes everything under one folder:

``inputs/``
    The synthetic city (population, plan, history, roster, declared conflicts, recusal requests,
    relation graph, an illustrative calendar override for 2027) and the inspectors' results.
``publish/``
    What a bureau publishes: ``commitment.json`` (before the beacon), the draw and the assignment
    in ``draw/`` with their manifests, the notices in ``notices/`` and the offline page ``verify.html``.
``private/secret.txt``
    The ceremony's secret, kept outside the published folder (private until the draw; the manifest
    reveals it).
``public/``
    The folder a bureau posts (no secret, no inputs).
``report/``
    ``report.html`` with its figures.

Each step is the workflow function a bureau's own scripts would call. The demo's secret is fixed and
public (:data:`DEMO_SECRET`, the SHA-256 of the text "shuangsuiji demo secret") and so is its beacon
value (:data:`DEMO_BEACON`), so the same command writes the same files every time. That is for the
demo only: a real ceremony commits to a fresh secret from the operating system (``shuangsuiji commit``)
and waits for a beacon value nobody knows in advance.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._i18n import _
from .._outdir import claim_demo_folder
from .._staffing_record import StaffingFiles
from ..assignment.manifest import AssignmentManifest
from ..exceptions import InternalError
from ..inputs import DrawFiles
from ..io import atomic_write_text, write_csv
from ..manifest import Manifest
from ..merkle import LEAF_FORMAT
from ..notices import RESULT_CATEGORIES
from ..synthetic import example_plan_toml, make_conflicts, make_history, make_population, make_roster
from ._checking import run_verify
from ._draws import Reveal, run_commit, run_draw
from ._publish import run_publish
from ._publishing import run_notices, run_page, run_report
from ._staffing import AssignmentFiles, run_assign

__all__ = [
    "DEMO_BEACON",
    "DEMO_BEACON_NAME",
    "DEMO_SECRET",
    "DEMO_SEED",
    "DemoResult",
    "demo_summary",
    "run_demo",
    "synthetic_results",
    "write_example_city",
]

#: Seed of the examples: SHA-256 of the text "shuangsuiji demo" (printf '%s' 'shuangsuiji demo' | sha256sum).
DEMO_SEED = "35a66f294948a664832278ed95207fae69a118da60671d1b54a59ae247268846"
#: The demo's beacon value, a stand-in: SHA-256 of "shuangsuiji demo beacon". A real draw waits for a
#: public value such as a drand round.
DEMO_BEACON = hashlib.sha256(b"shuangsuiji demo beacon").hexdigest()
DEMO_BEACON_NAME = "drand quicknet round 20270228 (simulated in the demo)"
#: The demo's ceremony secret, fixed and public so that the demo is reproducible: the 32 bytes of the
#: SHA-256 of the text "shuangsuiji demo secret" (printf '%s' 'shuangsuiji demo secret' | sha256sum gives
#: its hex, which the demo writes to private/secret.txt). For the demo only: a real ceremony commits to a
#: fresh secret (shuangsuiji commit draws one from the operating system) and keeps it private until the draw.
DEMO_SECRET = hashlib.sha256(b"shuangsuiji demo secret").digest()

#: An illustrative override for 2027, which chinese-calendar does not know yet. It lists only New Year's
#: Day, which is certain; a bureau replaces it with the State Council's 2027 notice (holidays and 调休
#: working weekends). The demo's March window has no statutory holiday either way.
_CALENDAR_2027 = (
    "date,kind,note\n"
    "2027-01-01,holiday,illustrative: replace with the State Council's 2027 holiday notice before real use\n"
)


@dataclass(frozen=True)
class DemoResult:
    """Where the demo wrote its files and what it found."""

    out: Path
    summary: pd.DataFrame
    verified: bool
    seconds: float


def write_example_city(folder: str | Path, *, entities: int, seed: int = 2027) -> dict[str, Path]:
    """Write every input of the example city into ``folder``; returns role -> path.

    Roles: ``population``, ``plan``, ``history`` (with the inspectors of each inspection),
    ``roster`` (officers and experts), ``conflicts``, ``requests``, ``relations`` and ``calendar``
    (an illustrative override for 2027).
    """
    folder = Path(folder)
    population = make_population(entities, seed=seed)
    roster = make_roster(population, seed=seed)
    declared, requests, relations = make_conflicts(population, roster, seed=seed)
    files = {
        "population": folder / "population.csv",
        "plan": folder / "plan.toml",
        "history": folder / "history.csv",
        "roster": folder / "roster.csv",
        "conflicts": folder / "conflicts.csv",
        "requests": folder / "requests.csv",
        "relations": folder / "relations.csv",
        "calendar": folder / "calendar-2027.csv",
    }
    write_csv(population, files["population"])
    write_csv(make_history(population, seed=seed, roster=roster), files["history"])
    write_csv(roster, files["roster"])
    write_csv(declared, files["conflicts"])
    write_csv(requests, files["requests"])
    write_csv(relations, files["relations"])
    atomic_write_text(files["plan"], example_plan_toml())
    atomic_write_text(files["calendar"], _CALENDAR_2027)
    return files


def _people(paths: dict[str, Path]) -> AssignmentFiles:
    """The staffing inputs of the example city written by :func:`write_example_city`: every one, so every rule bites."""
    return AssignmentFiles(
        population=paths["population"],
        roster=paths["roster"],
        conflicts=paths["conflicts"],
        requests=paths["requests"],
        relations=paths["relations"],
        history=paths["history"],
        calendar=paths["calendar"],
    )


def _results(draw: Path, path: Path, seed: int) -> Path:
    """Results filled in by inspectors for most visits (the rest are still pending), as CSV."""
    write_csv(synthetic_results(draw, seed), path)
    return path


def synthetic_results(draw: Path, seed: int) -> pd.DataFrame:
    """``task_id, uscc, result, completed`` for 80% of a staffed draw's dated visits, seeded."""
    visits = pd.read_csv(draw / "visits.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    selection = pd.read_csv(draw / "selection.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    rng = np.random.default_rng([seed, 3])
    dated = visits[(visits["status"] == "staffed") & (visits["date"] != "")]
    done = dated[rng.random(len(dated)) < 0.8]
    when = dict(zip(done["uscc"], done["date"], strict=True))
    rows = selection[selection["uscc"].isin(list(when))][["task_id", "uscc"]].copy()
    weights = np.array([80, 6, 2, 4, 1, 6, 1], dtype=float)
    rows["result"] = rng.choice(np.array(RESULT_CATEGORIES), size=len(rows), p=weights / weights.sum())
    rows["completed"] = rows["uscc"].map(when)
    return rows


def run_demo(
    out: str | Path,
    *,
    entities: int = 200_000,
    seed: int = 2027,
    progress: Callable[[str], object] | None = None,
    secret: bytes | None = None,
    leaf_format: str = LEAF_FORMAT,
) -> DemoResult:
    """Run a whole batch on the example city and write everything under ``out``.

    Parameters
    ----------
    out : str or Path
        Output folder.
    entities : int
        Size of the synthetic city.
    seed : int
        Seed of the synthetic data (the draw's own seed comes from the ceremony).
    progress : callable, optional
        Called with the name of each step as it starts.
    secret : bytes, optional
        The ceremony's 32-byte secret; by default :data:`DEMO_SECRET` (the SHA-256 of the text
        "shuangsuiji demo secret"), written to ``out/private/secret.txt``, so that the same
        arguments write the same files. A real ceremony uses a fresh secret instead.
    leaf_format : str
        The population's Merkle leaf format (the latest by default).

    Raises
    ------
    InternalError
        If the demo's own publication does not verify.
    FolderError
        If ``out`` holds files and was not written by a demo (an earlier demo's folder is replaced).
    """
    start = time.perf_counter()
    out = claim_demo_folder(out)
    inputs, publish = out / "inputs", out / "publish"
    say = progress or (lambda _step: None)
    say(_("generating the example city"))
    paths = write_example_city(inputs, entities=entities, seed=seed)
    files = DrawFiles(population=paths["population"], plan=paths["plan"], history=paths["history"])
    say(_("committing (before the beacon)"))
    committed = run_commit(
        files,
        publish,
        beacon=DEMO_BEACON_NAME,
        secret=secret if secret is not None else DEMO_SECRET,
        secret_out=out / "private" / "secret.txt",
        leaf_format=leaf_format,
        staffing=StaffingFiles(
            roster=paths["roster"],
            conflicts=paths["conflicts"],
            requests=paths["requests"],
            relations=paths["relations"],
            calendar=paths["calendar"],
        ),
    )
    say(_("drawing the targets"))
    draw = publish / "draw"
    run_draw(files, draw, reveal=Reveal(committed.path, DEMO_BEACON, committed.secret))
    say(_("staffing and dating the visits"))
    run_assign(draw, _people(paths), allow_partial=True)
    say(_("writing the notices"))
    results = _results(draw, inputs / "results.csv", seed)
    run_notices(draw, publish / "notices", results=results, calendar_overrides=paths["calendar"])
    run_page(publish / "verify.html")
    say(_("verifying everything"))
    verification = run_verify(draw)
    if not verification.ok:
        raise InternalError("the demo's own publication does not verify:\n" + str(verification))
    say(_("assembling the public folder"))
    run_publish(draw, out / "public", notices=publish / "notices")
    public = run_verify(out / "public" / "draw", published_only=True)  # as the public sees it: no inputs
    if not public.ok:
        raise InternalError("the demo's public folder does not verify on its own:\n" + str(public))
    say(_("writing the report"))
    run_report(draw, out / "report")
    return DemoResult(out=out, summary=demo_summary(draw), verified=True, seconds=time.perf_counter() - start)


def demo_summary(draw: str | Path) -> pd.DataFrame:
    """The demo's closing table: one row per figure a bureau would ask about."""
    draw = Path(draw)
    manifest = Manifest.read(draw)
    assignment = AssignmentManifest.read(draw)
    selection = pd.read_csv(draw / "selection.csv", dtype=str, encoding="utf-8-sig")
    visits = pd.read_csv(draw / "visits.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    workload = pd.read_csv(draw / "workload.csv", encoding="utf-8-sig")
    loads = workload.loc[workload["kind"] == "officer", "visits"]
    by_class = selection.assign(cls=selection["stratum"].str.extract(r"credit_class=([A-D])")[0])
    drawn = _(", ").join(
        f"{k} {v:,}" for k, v in by_class.drop_duplicates("uscc")["cls"].value_counts().sort_index().items()
    )
    floors = [t for t in manifest.tasks if t.floor != "0"]
    counts = assignment.counts
    parts = int(visits["visit_id"].str.contains("/", regex=False).sum())  # joint_fallback: waiting on their own
    desk = counts.get("desk")
    staffed = _("{staffed:,} of {visits:,} ({undated} undated, {unstaffed} unstaffed").format(
        staffed=counts["staffed"],
        visits=counts["visits"] - parts,
        undated=counts["undated"],
        unstaffed=counts["unstaffed"] - parts,
    )
    staffed += _(", {desk:,} desk checks without a date").format(desk=desk) if desk else ""
    staffed += _("; {parts} departments' parts of joint visits wait on their own").format(parts=parts) if parts else ""
    rows = [
        (
            _("tasks"),
            _("{tasks} ({drawn:,} entities drawn in all)").format(
                tasks=len(manifest.tasks), drawn=sum(t.sample for t in manifest.tasks)
            ),
        ),
        (_("entities drawn by credit class"), drawn),
        (
            _("floor met"),
            _("{met} of {tasks} general tasks (floor binding in {binding})").format(
                met=len(floors), tasks=len(floors), binding=sum(t.floor_binding for t in floors)
            ),
        ),
        (
            _("joint visits (一次多查)"),
            _("{selections:,} task selections merged into {visits:,} visits, {saved:,} visits saved").format(
                selections=len(selection), visits=len(visits) - parts, saved=len(selection) - len(visits) + parts
            ),
        ),
        (_("visits staffed and dated"), _("{text})").format(text=staffed)),
        (
            _("officers' loads"),
            _("min {low}, median {median}, max {high} visits").format(
                low=loads.min(), median=int(loads.median()), high=loads.max()
            ),
        ),
        (
            _("groups solved"),
            _("{groups} ({unique} with a certified unique optimum)").format(
                groups=len(assignment.groups), unique=sum(g.unique is True for g in assignment.groups)
            ),
        ),
        (_("seed"), f"{manifest.seed_record.mode}: {manifest.seed[:16]}..."),
    ]
    return pd.DataFrame(rows, columns=["figure", "value"])
