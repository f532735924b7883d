"""Reference runs whose every output file is pinned by SHA-256 (``outputs.json``).

Two runs: the example city (2,500 entities) through every command a bureau uses, with a seed
given directly and with a beacon-only ceremony; and the demo on 20,000 entities with a fixed
secret. Each returns the SHA-256 of every file written and the verification's check lines (with
the temporary folder replaced by ``<tmp>``), so a change of any published byte shows. Both run on
the example roster of the recording (:mod:`tests.recorded.legacy_roster`): issue 14 sized the
synthetic roster to the plan, which changes the inputs, not the code these runs check.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shuangsuiji.cli import main
from shuangsuiji.merkle import LEAF_FORMAT_1
from shuangsuiji.verify import verify_draw
from shuangsuiji.workflow import run_demo

from .legacy_roster import recorded_roster

GOLDEN_SEED = "33e944098cf4ef60379ce36c50cb01e7c39e5b77fb6601b6425657ba4b1d3e06"
#: The secret of the reference demo run (32 bytes, not secret at all).
DEMO_SECRET = bytes(range(32))
RESULTS = (
    "正常",
    "未按规定公示(即时)信息",
    "公示信息隐瞒真实情况、弄虚作假",
    "通过登记的住所(经营场所)无法联系",
    "不予配合情节严重",
    "发现问题已责令改正",
    "已注销/迁出",
)


def _cli(*argv: object) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        code = main([str(a) for a in argv])
    if code != 0:
        raise AssertionError(f"{argv[0]} exited {code}:\n{buffer.getvalue()}")
    return buffer.getvalue()


def _digest(path: Path) -> str:
    """SHA-256 of a file; of an XLSX workbook, of its members with the creation time left out.

    XlsxWriter stamps each workbook with the time it was written (``docProps/core.xml``), so a
    workbook's bytes differ from run to run; everything else in it must not.
    """
    if path.suffix != ".xlsx":
        return hashlib.sha256(path.read_bytes()).hexdigest()
    h = hashlib.sha256()
    with zipfile.ZipFile(path) as book:
        for name in sorted(book.namelist()):
            data = book.read(name)
            if name == "docProps/core.xml":
                data = re.sub(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", data)
            h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


def _hashes(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): _digest(p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).as_posix().startswith(skip)
    }


def _checks(text: str, tmp: Path) -> list[str]:
    return [line.replace(str(tmp), "<tmp>") for line in text.splitlines()]


def _results(draw: Path, out: Path, seed: int) -> None:
    """Results for about 80% of the dated visits, as inspectors would fill them in."""
    visits = pd.read_csv(draw / "visits.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    selection = pd.read_csv(draw / "selection.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    rng = np.random.default_rng([seed, 3])
    dated = visits[(visits["status"] == "staffed") & (visits["date"] != "")]
    done = dated[rng.random(len(dated)) < 0.8]
    when = dict(zip(done["uscc"], done["date"], strict=True))
    rows = selection[selection["uscc"].isin(list(when))][["task_id", "uscc"]].copy()
    rows["result"] = rng.choice(np.array(RESULTS), size=len(rows))
    rows["completed"] = rows["uscc"].map(when)
    out.write_bytes("\ufeff".encode() + rows.to_csv(index=False, lineterminator="\n").encode("utf-8"))


def example_run(tmp: Path) -> dict[str, Any]:
    """The example city through commit, draw, assign, notices, prove, page and verify."""
    inp, pub = tmp / "in", tmp / "pub"
    with recorded_roster():
        _cli("example", "--out", inp, "--entities", 2500, "--seed", 31)
    common = ["--population", inp / "population.csv", "--plan", inp / "plan.toml", "--history", inp / "history.csv"]
    old = ["--leaf-format", 1]  # the leaf format of the recording (format 2 is tested by tests/test_merkle.py)
    _cli("draw", *common, "--seed", GOLDEN_SEED, "--out", tmp / "seeded", *old)
    bound = [f"--{r}={inp / f'{r}.csv'}" for r in ("roster", "conflicts", "requests", "relations")]
    bound += ["--calendar-overrides", inp / "calendar-2027.csv"]  # issue 14: the assignment's inputs bound too
    _cli("commit", *common, *bound, "--beacon", "drand quicknet round 7", "--no-secret", "--out", pub, *old)
    _cli("draw", *common, "--commitment", pub / "commitment.json", "--beacon-value", "5a5a", "--out", pub / "draw")
    people = [f"--{r}={inp / f'{r}.csv'}" for r in ("roster", "conflicts", "requests", "relations", "history")]
    _cli(
        "assign",
        pub / "draw",
        "--population",
        inp / "population.csv",
        *people,
        "--window",
        "2027-03-01:2027-03-31",
        "--calendar-overrides",
        inp / "calendar-2027.csv",
        "--allow-partial",
        "--out",
        pub / "draw",
    )
    _results(pub / "draw", inp / "results.csv", 31)
    _cli(
        "notices",
        pub / "draw",
        "--out",
        pub / "notices",
        "--results",
        inp / "results.csv",
        "--calendar-overrides",
        inp / "calendar-2027.csv",
        "--publish-inspector-names",
    )
    first = pd.read_csv(pub / "draw/selection.csv", dtype=str, encoding="utf-8-sig")["uscc"].iloc[0]
    _cli("prove", pub / "draw", "--uscc", first, "--out", pub / "proof.json")
    _cli("page", "--out", pub / "verify.html")
    checks = _checks(str(verify_draw(pub / "draw")), tmp)
    proof = _checks(_cli("verify-proof", pub / "proof.json", "--manifest", pub / "draw/manifest.json"), tmp)
    return {"files": _hashes(tmp), "verify": checks, "verify_proof": proof}


def demo_run(tmp: Path) -> dict[str, Any]:
    """The demo on 20,000 entities with a fixed secret (the report's figures are left out)."""
    with recorded_roster():
        result = run_demo(tmp / "out", entities=20_000, secret=DEMO_SECRET, leaf_format=LEAF_FORMAT_1)
    checks = _checks(str(verify_draw(tmp / "out/publish/draw")), tmp)
    return {
        "files": _hashes(tmp / "out", skip=("report/",)),
        "verify": checks,
        "summary": [list(map(str, row)) for row in result.summary.itertuples(index=False)],
    }


RUNS: dict[str, Callable[[Path], dict[str, Any]]] = {"example": example_run, "demo_20000": demo_run}
