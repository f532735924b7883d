#!/usr/bin/env python3
"""Write the example notebooks (run: .venv/bin/python examples/make_notebooks.py).

The notebooks are generated from the cells below so that their source stays reviewable; they are
saved without outputs and run top to bottom in the test suite (tests/test_notebooks.py) on the small
example city in examples/data/ (written by `shuangsuiji example --out examples/data --entities 2000 --seed 7`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
from prose_zh import ZH

HERE = Path(__file__).resolve().parent
MD = "md:"  # cells starting with this are prose (Markdown); the others are code
SETUP = """\
from pathlib import Path
import pandas as pd
import shuangsuiji as ssj

DATA = Path("data")
SEED = "35a66f294948a664832278ed95207fae69a118da60671d1b54a59ae247268846"  # SHA-256 of "shuangsuiji demo"
plan = ssj.load_plan(DATA / "plan.toml")
population = ssj.read_table(DATA / "population.csv", error=ssj.PopulationError)
history = ssj.check_history(ssj.read_table(DATA / "history.csv", error=ssj.HistoryError))
len(population), [t.id for t in plan.tasks]"""

NOTEBOOKS = {
    "01_draw_a_plan.ipynb": [
        MD + "# 1. Draw a plan and read the allocation\n\nDraw every task of the example plan from a seed and "
        "read how each task's sample was allocated to its strata (credit class, risk tier...).",
        SETUP,
        "result = ssj.draw(population, plan, SEED, history=history)\n"
        "result.summary[['task_id', 'department', 'eligible', 'excluded', 'floor_target', 'floor_binding', 'sample']]",
        MD + "## Allocation by stratum\n\n`quota` is the exact share before rounding; `threshold` is the ticket of the "
        "last entity drawn in the stratum: a firm is drawn exactly when its ticket is at or below it.",
        "result.allocation[result.allocation['task_id'] == 'SC-GS']",
        MD
        + "## Anyone can recompute a ticket\n\n`printf '%s' \"$SEED:$SCOPE:$USCC\" | sha256sum` gives the same value.",
        "row = result.selection.iloc[0]\n"
        "scope = plan.task(row['task_id']).scope(plan.id)\n"
        "assert ssj.ticket(SEED, scope, row['uscc']) == row['ticket']\n"
        "row[['task_id', 'uscc', 'stratum', 'ticket']]",
        MD + "## Nothing is lost\n\nEvery population row ends up out of scope, excluded (with its reason), "
        "selected or not selected.",
        "result.outcomes('SC-GS')['outcome'].value_counts()",
    ],
    "02_tune_multipliers.ipynb": [
        MD + "# 2. Tune credit multipliers\n\nHow many entities each credit class contributes, and whether the "
        "general task's 5% floor binds, as the multipliers of class A to D change.",
        SETUP,
        "import dataclasses\n"
        "from fractions import Fraction\n"
        "from types import MappingProxyType\n\n"
        "def with_multipliers(a, b, c, d):\n"
        "    table = MappingProxyType({'A': Fraction(a), 'B': Fraction(b), 'C': Fraction(c), 'D': Fraction(d)})\n"
        "    task = dataclasses.replace(plan.task('SC-GS'), multipliers=MappingProxyType({'credit_class': table}),\n"
        "                               take_all=MappingProxyType({}))\n"
        "    return dataclasses.replace(plan, tasks=(task,))\n\n"
        "rows = []\n"
        "for setting in [(1, 1, 1, 1), ('0.5', 1, 2, 4), ('0.2', 1, 5, 20), (0, 1, 2, 4)]:\n"
        "    try:\n"
        "        result = ssj.draw(population, with_multipliers(*setting), SEED)\n"
        "    except ssj.AllocationError as error:\n"
        "        rows.append({'multipliers A/B/C/D': '/'.join(map(str, setting)), 'note': str(error)[:80]})\n"
        "        continue\n"
        "    a = result.allocations['SC-GS']\n"
        "    row = {'multipliers A/B/C/D': '/'.join(map(str, setting)), 'sample': a.sample,\n"
        "           'floor target': float(a.floor_target), 'floor binding': a.floor_binding}\n"
        "    row.update({s.label.split('=')[1]: round(float(s.inclusion_probability), 4) for s in a.strata})\n"
        "    rows.append(row)\n"
        "pd.DataFrame(rows)",
        MD + "Lower multipliers for class A spare low-risk firms (无事不扰); when the weighted ratio falls below "
        "the floor, the base ratio is raised to the smallest value that meets it exactly.",
    ],
    "03_coordination.ipynb": [
        MD + "# 3. Coordination: how joint plans cut visits\n\nCoordinated tasks of one plan share tickets, so a "
        "firm drawn for several departments is visited once (一次多查). Independent tasks draw on their own.",
        SETUP,
        "import dataclasses\n\n"
        "def visits_with(coordination):\n"
        "    tasks = tuple(dataclasses.replace(t, coordination=coordination) for t in plan.tasks)\n"
        "    result = ssj.draw(population, dataclasses.replace(plan, tasks=tasks), SEED, history=history)\n"
        "    return len(result.selection), result.selection['uscc'].nunique()\n\n"
        "table = pd.DataFrame([(c, *visits_with(c)) for c in ('plan', 'independent')],\n"
        "                     columns=['coordination', 'task selections', 'visits'])\n"
        "table['visits saved'] = table['task selections'] - table['visits']\n"
        "table",
    ],
    "04_staff_visits.ipynb": [
        MD + "# 4. Staff the visits\n\nMerge the draw into visits and staff them from the roster, under recusal, "
        "jurisdiction, cross-station mode and capacities; then look at loads and at who was recused.",
        SETUP,
        "import tempfile\n\n"
        "folder = Path(tempfile.mkdtemp())\n"
        "ssj.write_draw(ssj.draw(population, plan, SEED, history=history), folder)\n"
        "files = {role: DATA / name for role, name in [('population', 'population.csv'), ('roster', 'roster.csv'),\n"
        "         ('conflicts', 'conflicts.csv'), ('requests', 'requests.csv'), ('relations', 'relations.csv'),\n"
        "         ('history', 'history.csv'), ('calendar', 'calendar-2027.csv')]}\n"
        "inputs = ssj.load_assignment_inputs(folder, files)\n"
        "result = inputs.solve(allow_partial=True)\n"
        "result.visits['status'].value_counts()",
        MD + "## Officers' loads",
        "officers = result.workload[result.workload['kind'] == 'officer']\n"
        "officers.groupby('department')['visits'].describe()[['count', 'min', '50%', 'max']]",
        MD + "## Recusals\n\nWhy officers were kept away from entities (declared conflicts, requests, relations "
        "within two hops, rotation). These declarations are never published.",
        "pd.Series(inputs.conflicts.kinds).value_counts()",
        MD + "## Visits that wait, and why",
        "result.unstaffed['reason'].str.split(':').str[0].value_counts().head()",
    ],
    "05_verify_a_draw.ipynb": [
        MD + "# 5. Verify a published draw\n\nA bureau commits to its inputs before the beacon, draws, and "
        "publishes. Anyone can then re-check everything from the files, and one firm can check its own fate "
        "from its proof and the public manifest alone.",
        SETUP,
        "import tempfile\n\n"
        "pub = Path(tempfile.mkdtemp())\n"
        "files = ssj.DrawFiles(\n"
        "    population=DATA / 'population.csv', plan=DATA / 'plan.toml', history=DATA / 'history.csv'\n"
        ")\n"
        "keep = Path(tempfile.mkdtemp()) / 'secret.txt'  # the secret, never inside the folder that is published\n"
        "committed = ssj.run_commit(files, pub, beacon='drand quicknet round 1 (example)', secret_out=keep)\n"
        "drawn = ssj.run_draw(files, pub / 'draw', reveal=ssj.Reveal(committed.path, 'c0ffee', committed.secret))\n"
        "drawn.manifest.seed_record.mode, drawn.manifest.seed",
        "checks = ssj.verify_draw(pub / 'draw')\n"
        "assert checks.ok\n"
        "pd.DataFrame([(c.name, c.ok) for c in checks.checks], columns=['check', 'ok'])",
        MD + "## One firm's proof",
        "selected = pd.read_csv(pub / 'draw' / 'selection.csv', dtype=str, encoding='utf-8-sig')\n"
        "proof = ssj.make_proof(pub / 'draw', selected['uscc'].iloc[0])\n"
        "result = ssj.verify_proof(proof, (pub / 'draw' / 'manifest.json').read_bytes())\n"
        "assert result.ok\n"
        "pd.DataFrame([t.to_dict() for t in proof.tasks])[['task_id', 'outcome', 'stratum', 'ticket', 'threshold']]",
    ],
    "06_a_year.ipynb": [
        MD + "# 6. A year, batch by batch\n\nThe 5% of 一般事项抽查比例 is counted over the year. Run the example "
        "year: four quarterly batches, each committed, drawn, staffed, done and posted, every step in the "
        "inspection ledger, the register changing between batches. Then watch the coverage reach the target.",
        "import tempfile\nfrom pathlib import Path\n\n"
        "import matplotlib.pyplot as plt\n"
        "import pandas as pd\n"
        "import shuangsuiji as ssj\n\n"
        "out = Path(tempfile.mkdtemp())\n"
        "year = ssj.run_year_demo(out, entities=6000, secret=bytes(32))\n"
        "year.status.status.tasks",
        MD + "## What each batch drew, and why\n\nEach manifest records the ledger head its batch read and, per "
        "general task, the base, the year's target, the part due by the end of the batch, the firms covered "
        "before it and the count it drew.",
        "records = []\n"
        "for draw in year.draws:\n"
        "    record = ssj.Manifest.read(draw).year\n"
        "    for task, counts in record.tasks.items():\n"
        "        records.append({'batch': record.batch, 'task': task, 'ledger seq': record.ledger_head['seq'], "
        "**counts})\n"
        "pd.DataFrame(records)",
        MD + "## Coverage against the target, over the batches",
        "progress = year.status.status.progress\n"
        "fig, ax = plt.subplots(figsize=(7, 4))\n"
        "for task, rows in progress.groupby('task_id', sort=False):\n"
        "    line = ax.plot(rows['batch'], rows['drawn_share'] * 100, marker='o', label=f'{task} drawn')\n"
        "    ax.plot(rows['batch'], rows['done_share'] * 100, linestyle=':', color=line[0].get_color())\n"
        "    ax.plot(rows['batch'], rows['due'] / rows['base'] * 100, linestyle='--', color=line[0].get_color(), "
        "alpha=0.5)\n"
        "ax.axhline(5, color='black', linewidth=1, label='target 5%')\n"
        "ax.set_ylabel('% of the operating firms in scope')\n"
        "ax.legend()\n"
        "progress",
        MD + "## The ledger, and its checks\n\nThe ledger holds every check of the year, chained by SHA-256; "
        "each batch's view of it was published and committed to. Verify the chain and every batch against it.",
        "with ssj.Ledger.open(year.ledger) as ledger:\n"
        "    rows = ledger.frame()\n"
        "print(ssj.run_ledger_verify(year.ledger, draws=year.draws).verdict())\n"
        "rows.pivot_table(index='batch', columns='event', values='seq', aggfunc='count', fill_value=0)",
    ],
}


def _both(english: str) -> str:
    """A prose cell in Chinese, then in English (the Chinese of ``prose_zh.py``; every cell has one)."""
    head = english.split("\n", 1)[0]
    chinese = ZH[head] if head in ZH else ZH[english]
    return f"{chinese}\n\n---\n\n{english}"


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.cells = [
            nbformat.v4.new_markdown_cell(_both(c[len(MD) :])) if c.startswith(MD) else nbformat.v4.new_code_cell(c)
            for c in cells
        ]
        for index, cell in enumerate(nb.cells):
            cell.id = f"cell-{index:02d}"  # fixed ids: regenerating changes nothing that did not change
        nbformat.write(nb, HERE / name)
        print(f"wrote {name}")
    # The notebooks follow the project's lint and format rules, like any other code.
    notebooks = [str(HERE / name) for name in NOTEBOOKS]
    subprocess.run([sys.executable, "-m", "ruff", "check", "--fix", "--quiet", *notebooks], check=True)
    subprocess.run([sys.executable, "-m", "ruff", "format", "--quiet", *notebooks], check=True)


if __name__ == "__main__":
    main()
