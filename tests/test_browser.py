"""The offline verification page in headless Chromium, against the Python verifier on the same cases.

Each case opens ``verify.html?manifest=…&uscc=…[&proof=…][&commitment=…][&sha256=…][&stratum.TASK=…]`` with
``--dump-dom`` and reads what the page wrote as DOM attributes: one ``[data-verdict]`` element per task, the
checks ``#sha-check``, ``#code-check``, ``#seed-check``, ``#proof-check``, ``#absence-check`` (``data-ok``), the
ids of its error and warning messages (``body[data-errors]``, ``body[data-warnings]``). Launches run two at a
time (:func:`run_pages`); each takes a second or two.

CI installs Debian's chromium and sets SHUANGSUIJI_REQUIRE_BROWSER=1, which turns a missing browser into
a failure instead of a skip.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import json
import os
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pandas as pd
import pytest

from shuangsuiji import ticket
from shuangsuiji.absence import make_absence_proof, verify_absence
from shuangsuiji.cli import main
from shuangsuiji.proofs import make_proof, verify_proof
from shuangsuiji.seed import derive_seed
from shuangsuiji.uscc import USCC_ALPHABET, uscc_check_character

from .conftest import example_inputs, publish

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
if CHROMIUM is None:
    if os.environ.get("SHUANGSUIJI_REQUIRE_BROWSER") == "1":
        raise RuntimeError("SHUANGSUIJI_REQUIRE_BROWSER=1 but no chromium is installed")
    pytestmark = pytest.mark.skip(reason="needs headless chromium (Debian package 'chromium')")

PAGE = Path(__file__).parents[1] / "shuangsuiji" / "data" / "verify.html"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
VERDICTS = {"selected", "not_selected", "excluded", "out_of_scope"}


# ---------------------------------------------------------------- reading the page


@dataclass
class Page:
    """What the page wrote: body attributes, every element with an id, the verdict elements, message texts."""

    body: dict[str, str] = field(default_factory=dict)
    ids: dict[str, dict[str, str]] = field(default_factory=dict)
    rows: list[dict[str, str]] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)
    html: str = ""
    phone: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        return self.body.get("data-errors", "").split()

    @property
    def warnings(self) -> list[str]:
        return self.body.get("data-warnings", "").split()

    def ok(self, element: str) -> str | None:
        """The ``data-ok`` of ``#element`` (``None`` when the page wrote no such element)."""
        return self.ids.get(element, {}).get("data-ok")

    def attr(self, element: str, name: str) -> str | None:
        return self.ids.get(element, {}).get(name)

    def failed(self, element: str) -> list[str]:
        """The ids of the checks ``#element`` lists as failed (``data-failed``)."""
        return self.ids.get(element, {}).get("data-failed", "").split()

    def message(self, key: str) -> str:
        """The text of the error or warning ``key``."""
        return self.texts.get(f"msg-{key}", "")


class _Parser(HTMLParser):
    def __init__(self, page: Page) -> None:
        super().__init__()
        self.page = page
        self.open: list[list[Any]] = []  # [id, tag, depth] of the elements whose text is collected
        self.select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "body":
            self.page.body = a
        if "data-verdict" in a:
            self.page.rows.append({k[5:]: v for k, v in a.items() if k.startswith("data-")})
        if tag == "select" and "data-stratum-select" in a:
            self.select = a["data-stratum-select"]
            self.page.options[self.select] = []
        if tag == "option" and self.select is not None:
            self.page.options[self.select].append(a.get("value", ""))
        if tag in VOID:
            if "id" in a:
                self.page.ids[a["id"]] = a
            return
        for entry in self.open:
            if entry[1] == tag:
                entry[2] += 1
        if "id" in a:
            self.page.ids[a["id"]] = a
            self.page.texts[a["id"]] = ""
            self.open.append([a["id"], tag, 0])

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self.select = None
        for entry in list(self.open):
            if entry[1] == tag:
                entry[2] -= 1
                if entry[2] < 0:
                    self.open.remove(entry)

    def handle_data(self, data: str) -> None:
        for entry in self.open:
            if entry[1] != "script":
                self.page.texts[entry[0]] += data


def parse(dom: str) -> Page:
    page = Page(html=dom)
    _Parser(page).feed(dom)
    return page


# ---------------------------------------------------------------- running the page


def _chromium(target: str, *, extra: Sequence[str] = (), dump: bool = True, budget: int = 15000) -> str:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [
                CHROMIUM or "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                "--allow-file-access-from-files",
                f"--virtual-time-budget={budget}",
                *extra,
                *(["--dump-dom"] if dump else []),
                target,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout


@dataclass(frozen=True)
class Case:
    """One opening of the page: the folder holding ``verify.html`` and the query's values."""

    folder: Path
    uscc: str
    proof: str | None = None
    manifest: str = "manifest.json"
    commitment: str | None = None
    sha256: str | None = None
    strata: Mapping[str, str] = field(default_factory=dict)

    def query(self) -> str:
        q: list[tuple[str, str]] = [("manifest", self.manifest), ("uscc", self.uscc)]
        for key in ("proof", "commitment", "sha256"):
            value = getattr(self, key)
            if value is not None:
                q.append((key, value))
        q += [(f"stratum.{task}", label) for task, label in self.strata.items()]
        return urlencode(q, quote_via=quote)

    def url(self) -> str:
        return (self.folder / "verify.html").as_uri() + "?" + self.query()


#: Virtual-time budgets (ms) of the tries of :func:`_finished`. File reads and WebCrypto run on real time
#: while the harnesses' 50 ms polls advance virtual time, so on a busy machine a page may not be done when
#: the budget runs out: it is opened again with a larger budget (an unfinished page is never accepted).
BUDGETS = (15000, 60000, 240000)


def _finished(target: str, *, extra: Sequence[str] = ()) -> Page:
    """The page at ``target`` once its body says ``data-done="true"``, opened up to :data:`BUDGETS` times."""
    for budget in BUDGETS:
        page = parse(_chromium(target, extra=extra, budget=budget))
        if page.body.get("data-done") == "true":
            return page
    raise AssertionError(f"{target}: not done after {len(BUDGETS)} tries\n{page.html[-3000:]}")


def run_page(case: Case) -> Page:
    """One case opened as the top-level page of its own browser."""
    return _finished(case.url())


#: One browser for many cases: each case in its own iframe the width of a phone (390 CSS px); once every
#: page has finished (or after 200 s of virtual time), the harness copies each page's DOM and its
#: measurements into a ``div`` of its own.
BATCH = """<!doctype html><html><head><meta charset="utf-8"></head><body style="margin:0">
FRAMES
<script>
const frames = Array.from(document.querySelectorAll("iframe"));
let polls = 0;
const poll = setInterval(() => {
  const docs = frames.map((f) => f.contentDocument);
  const done = (d) => d && d.body && d.body.getAttribute("data-done") === "true";
  if (!docs.every(done) && ++polls < 4000) return;
  clearInterval(poll);
  docs.forEach((d, i) => {
    const out = document.createElement("div");
    out.id = "case-" + i;
    if (d && d.body) {
      const right = (sel) => Array.from(d.querySelectorAll(sel), (e) => Math.ceil(e.getBoundingClientRect().right));
      out.setAttribute("data-phone", JSON.stringify({
        width: d.documentElement.clientWidth, scroll: d.documentElement.scrollWidth,
        right: Math.max(0, ...right("body *")), outcomes: right(".verdict .outcome") }));
      out.setAttribute("data-dom", d.documentElement.outerHTML);
    }
    document.body.append(out);
  });
  document.body.setAttribute("data-done", "true");
}, 50);
</script></body></html>"""
_batches = itertools.count()


def run_pages(cases: Sequence[Case]) -> list[Page]:
    """The cases in one browser (:data:`BATCH`); each page must fit a 390 px phone without scrolling sideways."""
    frames = "\n".join(
        f'<iframe src="{html.escape(c.url())}" style="width:390px;height:844px;border:0;display:block"></iframe>'
        for c in cases
    )
    harness = cases[0].folder / f"batch-{next(_batches)}.html"
    harness.write_text(BATCH.replace("FRAMES", frames), encoding="utf-8")
    top = _finished(harness.as_uri(), extra=["--hide-scrollbars"])
    pages = []
    for i, case in enumerate(cases):
        out = top.ids[f"case-{i}"]
        assert "data-dom" in out, f"{case.query()}: the page did not load"
        page = parse(out["data-dom"])
        assert page.body.get("data-done") == "true", (case.query(), page.html[-3000:])
        page.phone = dict(json.loads(out["data-phone"]))
        assert page.phone["width"] == 390, page.phone
        assert page.phone["scroll"] <= 390 and page.phone["right"] <= 390, (case.query(), page.phone)
        pages.append(page)
    return pages


# ---------------------------------------------------------------- draws and proofs


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A commit-reveal draw of the example city (its commitment is ``../commitment.json``)."""
    folder = publish(tmp_path_factory.mktemp("page"), entities=500, seed=8, beacon_value="c0ffee")
    assert main(["page", "--out", str(folder / "verify.html")]) == 0
    return folder


@pytest.fixture(scope="module")
def beacon_draw(published: Path) -> Path:
    """The same city drawn in a beacon-only ceremony (no secret)."""
    tmp = published.parents[1]
    inputs = example_inputs(tmp)
    pub = tmp / "pub-beacon"
    assert main(["commit", *inputs, "--beacon", "lottery 2027-03-01", "--no-secret", "--out", str(pub)]) == 0
    args = ["--commitment", str(pub / "commitment.json"), "--beacon-value", "07 12 33", "--out", str(pub / "draw")]
    assert main(["draw", *inputs, *args]) == 0
    assert main(["page", "--out", str(pub / "draw/verify.html")]) == 0
    return pub / "draw"


@pytest.fixture(scope="module")
def seed_draw(published: Path) -> Path:
    """The same city drawn with a seed given directly (mode ``seed``)."""
    tmp = published.parents[1]
    out = tmp / "pub-seed/draw"
    assert main(["draw", *example_inputs(tmp), "--seed", "ab" * 32, "--out", str(out)]) == 0
    assert main(["page", "--out", str(out / "verify.html")]) == 0
    return out


#: Two old registration numbers whose order differs by code point (U+E000 < U+20000) and by UTF-16 unit
#: (U+20000 is the surrogate pair D840 DC00, below E000), and a code between them in code-point order only.
ODD_CODES = ("企独琼\ue0001号", "企独琼\U000200001号")
ODD_BETWEEN = "企独琼\uf0001号"
#: An early pilot code that fails the GB 32100 check and is legal (docs/inputs.md): on the allow-list.
PILOT = "91350100M0001TGQXM"


@pytest.fixture(scope="module")
def odd_draw(published: Path) -> Path:
    """The same city with entities keyed by the old numbers :data:`ODD_CODES` and by :data:`PILOT`."""
    tmp = published.parents[1]
    pop = pd.read_csv(tmp / "in/population.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    inspected = set(_table(tmp / "in", "history.csv")["uscc"])
    rows = [i for i, c in enumerate(pop["uscc"]) if c not in inspected][:3]
    pop.loc[rows, "uscc"] = [*ODD_CODES, PILOT]
    (tmp / "odd").mkdir()
    pop.to_csv(tmp / "odd/population.csv", index=False, encoding="utf-8-sig")
    (tmp / "odd/allow.txt").write_text(PILOT + "\n", encoding="utf-8")
    inputs = [a.replace(str(tmp / "in/population.csv"), str(tmp / "odd/population.csv")) for a in example_inputs(tmp)]
    inputs.append(f"--allow-list={tmp / 'odd/allow.txt'}")
    assert main(["draw", *inputs, "--seed", "cd" * 32, "--out", str(tmp / "odd/draw")]) == 0
    assert main(["page", "--out", str(tmp / "odd/draw/verify.html")]) == 0
    return tmp / "odd/draw"


def _manifest(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "manifest.json").read_bytes()))


def _sha(folder: Path) -> str:
    return hashlib.sha256((folder / "manifest.json").read_bytes()).hexdigest()


def _population_codes(folder: Path) -> list[str]:
    manifest = _manifest(folder)
    pop = pd.read_csv(folder / manifest["inputs"]["population"]["path"], dtype=str, encoding="utf-8-sig")
    return sorted(pop["uscc"])


def _table(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _codes(folder: Path) -> list[str]:
    """Codes covering every outcome: selected ones, an excluded one, and the first of the population."""
    sel, exc = _table(folder, "selection.csv"), _table(folder, "excluded.csv")
    first = _population_codes(folder)[:3]
    return list(dict.fromkeys([sel["uscc"].iloc[0], sel["uscc"].iloc[-1], exc["uscc"].iloc[0], *first]))


def _write(folder: Path, name: str, value: object) -> str:
    (folder / name).write_text(json.dumps(value, ensure_ascii=False, indent=2), encoding="utf-8")
    return name


def _proof(folder: Path, code: str) -> dict[str, Any]:
    proof = make_proof(folder, code).to_dict()
    assert verify_proof(proof, (folder / "manifest.json").read_bytes()).ok
    return proof


def _absence(folder: Path, code: str) -> dict[str, Any]:
    return dict(json.loads(make_absence_proof(folder, code).to_json()))


def _valid_uscc(body: str) -> str:
    return body + uscc_check_character(body)


def _between(low: str, high: str) -> str:
    """A valid USCC strictly between two codes: ``low``'s first characters, then as many Y as needed."""
    for keep in range(16, -1, -1):
        code = _valid_uscc(low[:keep] + "Y" * (17 - keep))
        if low < code < high:
            return code
    raise AssertionError(f"no USCC between {low} and {high}")


def _wrong_check(code: str) -> str:
    """``code`` with another check character (so it fails GB 32100)."""
    return code[:17] + next(c for c in USCC_ALPHABET if c != code[17])


def _python_rows(proof: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(task, ticket, verdict, stratum, threshold) as the Python proof states them."""
    out = []
    for t in proof["tasks"]:
        eligible = t["outcome"] in ("selected", "not_selected")
        out.append(
            (
                t["task_id"],
                t["ticket"],
                t["outcome"],
                t.get("stratum", "") if eligible else "",
                t.get("threshold", "") if eligible else "",
            )
        )
    return out


def _page_rows(page: Page) -> list[tuple[str, str, str, str, str]]:
    return [(r["task"], r["ticket"], r["verdict"], r["stratum"], r["threshold"]) for r in page.rows]


def _refused(page: Page) -> None:
    """The page gave no verdict at all."""
    assert page.rows == [], page.rows
    assert page.body.get("data-verdicts") == "refused"
    assert page.attr("overall", "data-state") == "refused"
    assert page.errors


def _in_words(page: Page, key: str, *words: str) -> str:
    """The message ``key`` is shown, in Chinese and in English, with each of ``words``."""
    assert key in page.errors + page.warnings, (key, page.errors, page.warnings)
    text = page.message(key)
    assert any("\u4e00" <= c <= "\u9fff" for c in text), text
    assert sum(c.isascii() and c.isalpha() for c in text) > 20, text
    for word in words:
        assert word in text, (word, text)
    assert "SyntaxError" not in page.html and "TypeError" not in page.html
    return text


# ---------------------------------------------------------------- the page itself


def test_page_is_offline_and_writes_no_html() -> None:
    text = PAGE.read_text(encoding="utf-8")
    csp = text.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert "require-trusted-types-for 'script'" in csp  # assigning HTML strings throws
    for banned in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "http://", "https://"):
        assert banned not in text, banned
    assert "<link" not in text and "src=" not in text.replace('"src"', "")


# ---------------------------------------------------------------- with a proof of fate


def test_page_agrees_with_python_on_proofs(published: Path) -> None:
    manifest = _manifest(published)
    commitment = published.parent / "commitment.json"
    seed = derive_seed(
        hashlib.sha256(commitment.read_bytes()).digest(),
        manifest["seed"]["beacon"]["value"],
        secret=bytes.fromhex(manifest["seed"]["secret"]),
    )
    codes = _codes(published)
    proofs = [_proof(published, code) for code in codes]
    cases = [
        Case(
            published,
            code,
            _write(published, f"proof-{code}.json", proof),
            commitment="../commitment.json",
            sha256=_sha(published),
        )
        for code, proof in zip(codes, proofs, strict=True)
    ]
    seen = set()
    for code, proof, page in zip(codes, proofs, run_pages(cases), strict=True):
        assert page.errors == [], (code, page.errors, [page.message(e) for e in page.errors])
        assert (page.ok("proof-check"), page.ok("sha-check"), page.ok("code-check")) == ("true", "true", "true")
        assert page.ok("seed-check") == "true" and page.attr("seed-check", "data-derived") == seed
        assert page.attr("proof-check", "data-leaf-uscc") == code
        # One row per task of the plan, each exactly what Python's proof says.
        assert [r["task"] for r in page.rows] == [t["id"] for t in manifest["plan"]["tasks"]]
        assert _page_rows(page) == _python_rows(proof), code
        assert {r["basis"] for r in page.rows} == {"proof"}
        for row, task in zip(page.rows, proof["tasks"], strict=True):
            if task["outcome"] == "excluded":
                assert row["reason"] == task["reason"]
        selected = [r["task"] for r in page.rows if r["verdict"] == "selected"]
        assert page.attr("overall", "data-selected") == str(len(selected))
        assert page.attr("overall", "data-state") == ("selected" if selected else "not_selected")
        assert all(t in page.texts["overall"] for t in selected)
        seen |= {r["verdict"] for r in page.rows}
    assert seen == VERDICTS


def test_page_rejects_proofs_that_are_not_this_firms(published: Path) -> None:
    manifest_bytes = (published / "manifest.json").read_bytes()
    sel = _table(published, "selection.csv")
    a = sel["uscc"].iloc[0]
    b = next(c for c in _population_codes(published) if c not in set(sel["uscc"]))
    proof = _proof(published, a)
    other_firm = dict(proof, uscc=b)  # firm A's leaf and path, firm B's code
    other_manifest = dict(proof, manifest_sha256=hashlib.sha256(b"another draw").hexdigest())
    tampered = dict(proof, leaf=proof["leaf"].replace('"credit_class":"', '"credit_class":"X', 1))
    task = next(t for t in proof["tasks"] if t["outcome"] == "selected")
    claims = dict(proof, tasks=[dict(t, outcome="not_selected") if t is task else t for t in proof["tasks"]])
    forged = {"other-firm": other_firm, "other-manifest": other_manifest, "tampered": tampered, "claims": claims}
    for name, value in forged.items():
        assert not verify_proof(value, manifest_bytes).ok, name  # Python refuses each of them too
    cases = [
        Case(published, b if name == "other-firm" else a, _write(published, f"{name}.json", v))
        for name, v in forged.items()
    ]
    cases.append(Case(published, b, _write(published, "genuine-a.json", proof)))  # A's genuine proof, B's code
    pages = dict(zip([*forged, "typed-b"], run_pages(cases), strict=True))
    for name, page in pages.items():
        assert page.ok("proof-check") == "false", name
        _refused(page)
    assert "uscc" in pages["other-firm"].failed("proof-check")
    _in_words(pages["other-firm"], "proof-uscc", a, b)
    _in_words(pages["typed-b"], "proof-uscc", a)
    assert pages["other-manifest"].failed("proof-check") == ["manifest"]
    _in_words(pages["other-manifest"], "proof-manifest", "manifest")
    assert "path" in pages["tampered"].failed("proof-check")
    assert pages["claims"].failed("proof-check") == [f"task-{task['task_id']}-outcome"]


# ---------------------------------------------------------------- without a proof


def test_page_without_a_proof_shows_one_verdict_per_task_for_the_chosen_stratum(published: Path) -> None:
    manifest = _manifest(published)
    seed, sel = manifest["seed"]["value"], _table(published, "selection.csv")
    excluded = set(_table(published, "excluded.csv")["uscc"])
    drawn = sel["uscc"].iloc[0]
    undrawn = next(c for c in _population_codes(published) if c not in set(sel["uscc"]) | excluded)
    labels = {t["id"]: [s["label"] for s in t["strata"]] for t in manifest["tasks"]}
    thresholds = {t["id"]: {s["label"]: s["threshold"] for s in t["strata"]} for t in manifest["tasks"]}

    def own_strata(code: str) -> dict[str, str]:
        """The firm's stratum per task (from its proof), or the first stratum where it has none."""
        return {t["task_id"]: t.get("stratum") or labels[t["task_id"]][0] for t in _proof(published, code)["tasks"]}

    nothing, chosen, not_drawn = run_pages(
        [
            Case(published, drawn),
            Case(published, drawn, strata=own_strata(drawn)),
            Case(published, undrawn, strata=own_strata(undrawn)),
        ]
    )
    # Nothing chosen: one row per task with its ticket, no verdict, and a plain request for a proof.
    tasks = [t["id"] for t in manifest["plan"]["tasks"]]
    scopes = {t["id"]: t["scope"] for t in manifest["tasks"]}
    assert [r["task"] for r in nothing.rows] == tasks
    assert [r["ticket"] for r in nothing.rows] == [ticket(seed, scopes[t], drawn) for t in tasks]
    assert {r["verdict"] for r in nothing.rows} == {"choose"}
    assert nothing.options == {t: ["", *labels[t]] for t in tasks}  # the manifest's labels, no default
    _in_words(nothing, "need-proof", "shuangsuiji prove")
    assert nothing.errors == [] and nothing.ok("seed-check") == "unknown" and "seed-not-checked" in nothing.warnings
    # Each chosen stratum gives the verdict of selection.csv, one row per task.
    for code, page in ((drawn, chosen), (undrawn, not_drawn)):
        assert [r["task"] for r in page.rows] == tasks
        for row, task in zip(page.rows, _proof(published, code)["tasks"], strict=True):
            assert row["stratum"] == own_strata(code)[row["task"]]
            assert row["threshold"] == thresholds[row["task"]][row["stratum"]]
            want = "selected" if row["threshold"] and row["ticket"] <= row["threshold"] else "not_selected"
            assert row["verdict"] == want
            if task["outcome"] in ("selected", "not_selected"):
                in_selection = ((sel["task_id"] == row["task"]) & (sel["uscc"] == code)).any()
                assert row["verdict"] == task["outcome"] == ("selected" if in_selection else "not_selected")
        assert page.attr("overall", "data-state") == "unconfirmed"
    assert "selected" in [r["verdict"] for r in chosen.rows]
    assert "selected" not in [r["verdict"] for r in not_drawn.rows]


# ---------------------------------------------------------------- the code


def test_page_checks_and_normalises_the_code(published: Path, odd_draw: Path) -> None:
    seed = _manifest(published)["seed"]["value"]
    code = _codes(published)[0]
    wide = "".join(chr(ord(c) + 0xFEE0) for c in code[:9]).lower() + "\u3000" + code[9:].lower() + " "
    regno = "410302000012345"
    pilot = _proof(odd_draw, PILOT)
    wrong, bad_char, typed_wide, fifteen, empty, pilot_proven, pilot_alone = run_pages(
        [
            Case(published, _wrong_check(code)),
            Case(published, code[:5] + "O" + code[6:]),
            Case(published, wide),
            Case(published, regno),
            Case(published, "  "),
            Case(odd_draw, PILOT, _write(odd_draw, "pilot.json", pilot)),
            Case(odd_draw, PILOT),
        ]
    )
    assert wrong.ok("code-check") == "false"
    _refused(wrong)
    _in_words(wrong, "code-check", "GB 32100", code[17])
    assert bad_char.ok("code-check") == "false"
    _refused(bad_char)
    _in_words(bad_char, "code-character", "O")
    # Full-width characters, blanks and lower case are normalised before use.
    assert typed_wide.ok("code-check") == "true" and typed_wide.attr("code-check", "data-code") == code
    scopes = {t["id"]: t["scope"] for t in _manifest(published)["tasks"]}
    assert [r["ticket"] for r in typed_wide.rows] == [ticket(seed, scopes[r["task"]], code) for r in typed_wide.rows]
    assert "msg-code-normalised" in typed_wide.texts and typed_wide.rows
    # A 15-digit registration number is warned about, not refused.
    assert fifteen.ok("code-check") == "warn" and fifteen.errors == []
    _in_words(fifteen, "code-length", "注册号")
    assert [r["ticket"] for r in fifteen.rows] == [ticket(seed, scopes[r["task"]], regno) for r in fifteen.rows]
    assert fifteen.rows
    _refused(empty)
    assert "code-empty" in empty.errors
    # A pilot code failing the check: refused alone, accepted (with a warning) when its proof holds.
    assert pilot_alone.ok("code-check") == "false" and "code-check" in pilot_alone.errors
    _refused(pilot_alone)
    assert pilot_proven.ok("proof-check") == "true" and pilot_proven.ok("code-check") == "warn"
    _in_words(pilot_proven, "code-allowlisted", "GB 32100")
    assert pilot_proven.errors == [] and _page_rows(pilot_proven) == _python_rows(pilot)


# ---------------------------------------------------------------- proofs of absence


def test_page_verifies_proofs_of_absence_and_rejects_forged_ones(published: Path, odd_draw: Path) -> None:
    manifest_bytes = (published / "manifest.json").read_bytes()
    codes = _population_codes(published)
    assert len(codes) >= 10
    # Absent codes between two members, before the first and after the last, all valid USCCs.
    middle, first, last = _between(codes[4], codes[5]), _valid_uscc("0" * 17), _valid_uscc("Y" * 17)
    assert first < codes[0] and codes[-1] < last and codes[4] < middle < codes[5]
    valid = {name: _absence(published, c) for name, c in (("middle", middle), ("first", first), ("last", last))}
    assert [len(v["neighbours"]) for v in valid.values()] == [2, 1, 1]
    for name, value in valid.items():
        assert verify_absence(value, manifest_bytes).ok, name
    # Forgeries: neighbours two apart (hiding the member between), a code outside its neighbours, a lone
    # neighbour that is not at an end, and a proof of another manifest.
    after = _absence(published, _between(codes[5], codes[6]))
    # member 5 claimed absent between members 4 and 6
    gap = dict(valid["middle"], uscc=codes[5], neighbours=[valid["middle"]["neighbours"][0], after["neighbours"][1]])
    outside = dict(valid["middle"], uscc=last)
    lone = dict(valid["middle"], uscc=middle, neighbours=valid["middle"]["neighbours"][:1])
    other = dict(valid["middle"], manifest_sha256=hashlib.sha256(b"another draw").hexdigest())
    forged = {"gap": gap, "outside": outside, "lone": lone, "other": other}
    for name, value in forged.items():
        assert not verify_absence(value, manifest_bytes).ok, name
    cases = [Case(published, v["uscc"], _write(published, f"absence-{n}.json", v)) for n, v in valid.items()]
    cases += [Case(published, v["uscc"], _write(published, f"absence-{n}.json", v)) for n, v in forged.items()]
    # Code-point order, not UTF-16 order: the code lies between the two old numbers only by code point.
    assert ODD_CODES[0] < ODD_BETWEEN < ODD_CODES[1]
    assert ODD_CODES[1].encode("utf-16-be") < ODD_BETWEEN.encode("utf-16-be")
    odd = _absence(odd_draw, ODD_BETWEEN)
    assert [json.loads(n["leaf"])["uscc"] for n in odd["neighbours"]] == list(ODD_CODES)
    assert verify_absence(odd, (odd_draw / "manifest.json").read_bytes()).ok
    valid["code-points"] = odd
    cases.insert(3, Case(odd_draw, ODD_BETWEEN, _write(odd_draw, "absence-code-points.json", odd)))
    pages = dict(zip([*valid, *forged], run_pages(cases), strict=True))
    for name in valid:
        page = pages[name]
        assert page.ok("absence-check") == "true", (name, page.errors, page.attr("absence-check", "data-failed"))
        assert page.errors == [] and page.rows == [] and page.body.get("data-verdicts") == "absent"
        assert ("code-length" in page.warnings) == (name == "code-points"), page.warnings  # an old number: warned
        assert page.attr("overall", "data-state") == "absent"
        assert "不在承诺的名录库中" in page.texts["absence-check"]
        assert "not in the committed population" in page.texts["absence-check"]
    for name in forged:
        assert pages[name].ok("absence-check") == "false", name
        _refused(pages[name])
    assert pages["gap"].failed("absence-check") == ["bracket"]
    assert pages["outside"].failed("absence-check") == ["bracket"]
    assert pages["lone"].failed("absence-check") == ["bracket"]
    assert pages["other"].failed("absence-check") == ["manifest"]
    _in_words(pages["gap"], "absence-bracket", codes[5])


# ---------------------------------------------------------------- the seed and the published SHA-256


def test_page_rederives_the_seed_and_refuses_a_tampered_ceremony(
    published: Path, beacon_draw: Path, seed_draw: Path
) -> None:
    manifest = _manifest(published)
    commitment = (published.parent / "commitment.json").read_bytes()
    changed = commitment.replace(b"drand quicknet round 1", b"drand quicknet round 2", 1)
    assert changed != commitment
    (published.parent / "commitment-changed.json").write_bytes(changed)
    reseeded = json.loads(json.dumps(manifest))
    reseeded["seed"]["value"] = hashlib.sha256(b"a chosen seed").hexdigest()
    resecret = json.loads(json.dumps(manifest))
    resecret["seed"]["secret"] = "cd" * 32
    code = _codes(published)[0]
    beacon = _manifest(beacon_draw)["seed"]
    beacon_seed = derive_seed(
        hashlib.sha256((beacon_draw.parent / "commitment.json").read_bytes()).digest(),
        beacon["beacon"]["value"],
        secret=None,
    )
    assert beacon["mode"] == "beacon" and beacon_seed == beacon["value"]
    ok_beacon, tampered, chosen, secret, direct = run_pages(
        [
            Case(beacon_draw, code, commitment="../commitment.json"),
            Case(published, code, commitment="../commitment-changed.json"),
            Case(
                published, code, manifest=_write(published, "reseeded.json", reseeded), commitment="../commitment.json"
            ),
            Case(
                published, code, manifest=_write(published, "resecret.json", resecret), commitment="../commitment.json"
            ),
            Case(seed_draw, code),
        ]
    )
    assert ok_beacon.ok("seed-check") == "true" and ok_beacon.attr("seed-check", "data-mode") == "beacon"
    assert ok_beacon.attr("seed-check", "data-derived") == beacon_seed and ok_beacon.rows
    assert tampered.ok("seed-check") == "false"
    assert {"commitment", "beacon"} <= set(tampered.failed("seed-check"))
    _in_words(tampered, "seed-commitment", "commitment.json")
    _refused(tampered)
    assert chosen.ok("seed-check") == "false" and chosen.failed("seed-check") == ["derived"]
    _in_words(chosen, "seed-derived", reseeded["seed"]["value"])
    _refused(chosen)
    assert secret.ok("seed-check") == "false" and secret.failed("seed-check") == [
        "secret",
        "derived",
    ]
    _refused(secret)
    # A seed given directly: verdicts, with a plain warning that it could have been chosen.
    assert direct.ok("seed-check") == "unknown" and direct.attr("seed-check", "data-state") == "direct"
    assert "could have been chosen" in _in_words(direct, "seed-direct", "seed")
    assert direct.errors == [] and len(direct.rows) == len(manifest["plan"]["tasks"])


def test_page_compares_the_published_sha256(published: Path) -> None:
    code, sha = _codes(published)[0], _sha(published)
    line, wrong = run_pages(
        [Case(published, code, sha256=f"{sha.upper()}  manifest.json"), Case(published, code, sha256="0" * 64)]
    )
    assert line.ok("sha-check") == "true" and line.rows and line.errors == []
    assert wrong.ok("sha-check") == "false"
    assert "do not trust anything below" in wrong.texts["sha-check"].lower() and "不可信" in wrong.texts["sha-check"]
    _in_words(wrong, "sha-mismatch", sha)
    _refused(wrong)


# ---------------------------------------------------------------- wrong files


def test_page_answers_wrong_files_in_words(published: Path) -> None:
    code = _codes(published)[0]
    proof = _proof(published, code)
    manifest = _manifest(published)
    (published / "not-json.json").write_text("this is not JSON {", encoding="utf-8")
    (published / "latin1.json").write_bytes('{"a": "caf\xe9"}'.encode("latin-1"))
    del manifest["seed"]["value"]
    del proof["audit_path"]
    cases = {
        "manifest-not-json": Case(published, code, manifest="not-json.json"),
        "manifest-not-utf8": Case(published, code, manifest="latin1.json"),
        "manifest-fields": Case(published, code, manifest=_write(published, "no-seed.json", manifest)),
        "manifest-wrong-file": Case(
            published, code, manifest=_write(published, "proof-as-manifest.json", _proof(published, code))
        ),
        "proof-not-object": Case(published, code, _write(published, "list.json", [proof])),
        "proof-fields": Case(published, code, _write(published, "no-path.json", proof)),
        "proof-wrong-file": Case(published, code, "manifest.json"),
        "proof-format": Case(published, code, _write(published, "other.json", {"format": "something/1"})),
        "commitment-not-json": Case(published, code, commitment="not-json.json"),
        "manifest-unreadable": Case(published, code, manifest="missing.json"),
    }
    words = {
        "manifest-not-json": ("manifest.json", "JSON"),
        "manifest-not-utf8": ("manifest.json", "UTF-8"),
        "manifest-fields": ("manifest.json", "seed.value"),
        "manifest-wrong-file": ("manifest.json", "proof.json"),
        "proof-not-object": ("proof.json", "list"),
        "proof-fields": ("proof.json", "audit_path"),
        "proof-wrong-file": ("proof.json", "manifest"),
        "proof-format": ("something/1",),
        "commitment-not-json": ("commitment.json", "JSON"),
        "manifest-unreadable": ("manifest.json", "missing.json"),
    }
    for key, page in zip(cases, run_pages(list(cases.values())), strict=True):
        _in_words(page, key, *words[key])
        assert page.rows == [], key


# ---------------------------------------------------------------- by hand

#: The page as a firm uses it: files put into the file inputs (as a file picker does), the fields typed,
#: the button pressed; then the proof taken away, the button pressed again, and a stratum chosen.
BY_HAND = """<!doctype html><html><head><meta charset="utf-8"></head><body>
<iframe id="f" src="verify.html" style="width:390px;height:844px;border:0"></iframe>
<script type="application/json" id="given">GIVEN</script>
<script>
const f = document.getElementById("f"), given = JSON.parse(document.getElementById("given").textContent);
const wait = (d) => new Promise((ok) => { const t = setInterval(() => {
  if (d.body.getAttribute("data-done") === "true") { clearInterval(t); ok(); } }, 50); });
const keep = (d, id) => { const out = document.createElement("div"); out.id = id;
  out.setAttribute("data-dom", d.documentElement.outerHTML); document.body.append(out); };
f.addEventListener("load", async () => {
  const d = f.contentDocument, w = f.contentWindow;
  const put = async (id, name) => {
    const files = new w.DataTransfer();
    if (name) files.items.add(new w.File([await (await fetch(name)).arrayBuffer()], name.split("/").pop()));
    d.getElementById(id).files = files.files;
  };
  await put("manifest-file", "manifest.json");
  await put("proof-file", given.proof);
  await put("commitment-file", "../commitment.json");
  d.getElementById("uscc").value = given.uscc;
  d.getElementById("sha256").value = given.sha256;
  d.getElementById("check").click();
  await wait(d);
  keep(d, "with-proof");
  await put("proof-file", null);
  d.getElementById("check").click();
  await wait(d);
  for (const [task, label] of Object.entries(given.strata)) {
    const select = d.querySelector(`select[data-stratum-select="${task}"]`);
    select.value = label;
    select.dispatchEvent(new w.Event("change"));
  }
  keep(d, "chosen");
  document.body.setAttribute("data-done", "true");
});
</script></body></html>"""


def test_page_works_by_hand_with_files_and_a_choice(published: Path) -> None:
    code = _codes(published)[0]
    proof = _proof(published, code)
    strata = {t["task_id"]: t["stratum"] for t in proof["tasks"] if "stratum" in t}
    given = {
        "proof": _write(published, "by-hand.json", proof),
        "uscc": code,
        "sha256": _sha(published),
        "strata": strata,
    }
    harness = published / "by-hand.html"
    harness.write_text(BY_HAND.replace("GIVEN", json.dumps(given).replace("<", "\\u003c")), encoding="utf-8")
    top = _finished(harness.as_uri(), extra=["--hide-scrollbars"])
    with_proof, chosen = (parse(top.ids[key]["data-dom"]) for key in ("with-proof", "chosen"))
    assert (with_proof.ok("proof-check"), with_proof.ok("sha-check"), with_proof.ok("seed-check")) == ("true",) * 3
    assert _page_rows(with_proof) == _python_rows(proof)
    assert chosen.ids.get("proof-check") is None and "need-proof" in chosen.warnings
    eligible = [r for r in _python_rows(proof) if r[0] in strata]
    assert [r for r in _page_rows(chosen) if r[0] in strata] == eligible
    assert {r["verdict"] for r in chosen.rows if r["task"] not in strata} <= {"choose"}


# ---------------------------------------------------------------- a phone


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_page_fits_a_390px_phone(published: Path, tmp_path: Path) -> None:
    """Every case of :func:`run_pages` is measured at 390 px; here the verdicts themselves, and a real 390 px window."""
    code = _codes(published)[0]
    proof = _write(published, f"proof-{code}.json", _proof(published, code))
    strata = {t["id"]: t["strata"][-1]["label"] for t in _manifest(published)["tasks"]}
    with_proof = Case(published, code, proof, commitment="../commitment.json", sha256=_sha(published))
    tasks = len(_manifest(published)["plan"]["tasks"])
    shot = tmp_path / "phone.png"
    screen = ["--window-size=390,844", "--hide-scrollbars", f"--screenshot={shot}"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        screenshot = pool.submit(_chromium, with_proof.url(), extra=screen, dump=False)
        top = pool.submit(run_page, with_proof)
        framed = run_pages([with_proof, Case(published, code, strata=strata)])
        screenshot.result()
    for page in framed:
        assert len(page.rows) == tasks
        assert int(page.body["data-scroll-width"]) <= 390  # what the page measured itself, once rendered
        assert len(page.phone["outcomes"]) == tasks and max(page.phone["outcomes"]) <= 390  # each verdict in view
    # The page opened on its own (not in a frame) gives the same verdicts; its screenshot is a 390 px screen.
    assert _page_rows(top.result()) == _page_rows(framed[0])
    assert _png_size(shot) == (390, 844)
