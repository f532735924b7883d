"""Bad input of every kind, tried as a careless and as a hostile user would (issue 16).

Every case runs the command line in-process under a 10-second alarm and asserts: no traceback, no
exit 3 (a bug), no hang; the exit status the case expects (2 for bad input, 1 for "not verified",
0 where the input is good after all); and, where the problem has one, the file, row and column named.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from shuangsuiji.cli import main

SEED = "ab" * 32
#: Seconds a case may take (the issue's bound).
LIMIT = 10


class Hang(BaseException):
    """Raised by the alarm: a command ran past the limit (a BaseException, so that no handler swallows it)."""


@contextlib.contextmanager
def _alarm(seconds: int) -> Iterator[None]:
    def ring(_signum: int, _frame: FrameType | None) -> None:
        raise Hang(f"no exit within {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run the command line; the status and what it printed, after the checks every case shares."""
    capsys.readouterr()
    start = time.monotonic()
    with _alarm(LIMIT):
        status = main([str(a) for a in argv])
    captured = capsys.readouterr()
    err = captured.err + captured.out  # a verification's failures are printed on stdout
    assert time.monotonic() - start < LIMIT
    assert "Traceback" not in err, err
    assert status != 3, err  # 3 is a bug: the library did not turn the failure into its own error
    return status, err


@dataclass(frozen=True)
class City:
    """A small example city and a draw of it from a given seed (so that any other input reaches the checks)."""

    inputs: Path
    draw: Path
    tmp: Path

    @property
    def population(self) -> Path:
        return self.inputs / "population.csv"

    @property
    def plan(self) -> Path:
        return self.inputs / "plan.toml"

    def text(self, name: str = "population.csv") -> str:
        return (self.inputs / name).read_text(encoding="utf-8-sig")

    def write(self, name: str, data: str | bytes) -> Path:
        path = self.tmp / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    def out(self, name: str) -> Path:
        return self.tmp / "out" / name

    def draw_args(self, population: Path | None = None, *extra: object, plan: Path | None = None) -> list[object]:
        pop = population or self.population
        out = self.out(f"draw-{time.monotonic_ns()}")
        return ["draw", "--population", pop, "--plan", plan or self.plan, "--out", out, "--seed", SEED, *extra]

    def assign_args(self, population: Path | None = None, roster: Path | None = None, *extra: object) -> list[object]:
        return [
            "assign",
            self.draw,
            "--population",
            population or self.population,
            "--roster",
            roster or self.inputs / "roster.csv",
            "--calendar-overrides",
            self.inputs / "calendar-2027.csv",
            "--out",
            self.out(f"assign-{time.monotonic_ns()}"),
            "--allow-partial",
            *extra,
        ]

    def plan_with(self, old: str, new: str) -> Path:
        text = self.text("plan.toml")
        assert old in text
        return self.write(f"plan-{time.monotonic_ns()}.toml", text.replace(old, new, 1))


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    tmp = tmp_path_factory.mktemp("fuzz")
    (tmp / "out").mkdir()
    assert main(["example", "--out", str(tmp / "in"), "--entities", "800", "--seed", "5"]) == 0
    made = City(tmp / "in", tmp / "draw", tmp)
    hist = ["--history", str(made.inputs / "history.csv")]
    draw = ["draw", "--population", made.population, "--plan", made.plan, *hist, "--out", made.draw, "--seed", SEED]
    assert main([str(a) for a in draw]) == 0
    return made


Case = Callable[[City], tuple[list[object], int, tuple[str, ...]]]
CASES: dict[str, Case] = {}


def case(build: Case) -> Case:
    CASES[build.__name__] = build
    return build


def _bytes(city: City) -> bytes:
    return city.text().encode("utf-8")


@case
def encoding_unknown(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    return city.draw_args(None, "--encoding", "klingon"), 2, ("value 'klingon'", "not an encoding Python knows")


@case
def encoding_gbk_on_utf8(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    return city.draw_args(None, "--encoding", "gbk"), 2, ("population.csv, row 2", "cannot be read as gbk")


@case
def utf16_with_mark(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    return city.draw_args(city.write("u16.csv", city.text().encode("utf-16"))), 0, ()


@case
def utf16_without_mark(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    return city.draw_args(city.write("u16le.csv", city.text().encode("utf-16-le"))), 0, ()


@case
def cr_line_ends(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    return city.draw_args(city.write("cr.csv", city.text().replace("\n", "\r"))), 0, ()


@case
def bad_byte_after_64_kib(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    data = _bytes(city)
    at = data.index(b",", data.index(b"\n", (1 << 16) + 1)) + 1  # the name of the first record past 64 KiB
    line = data.count(b"\n", 0, at) + 1
    return city.draw_args(city.write("ff.csv", data[:at] + b"\xff" + data[at:])), 2, (f"row {line}", "FF")


@case
def cut_inside_a_character(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    data = _bytes(city)
    at = data.index(b",", data.index(b"\n", len(data) // 2)) + 2  # inside the first character of a name
    assert data[at - 1] >= 0xE0  # a name starts with a Chinese character: three bytes in UTF-8
    return city.draw_args(city.write("cut.csv", data[:at])), 2, ("cut short",)


@case
def big5(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    text = city.text().encode("big5", errors="replace").decode("big5")
    return city.draw_args(city.write("big5.csv", text.encode("big5"))), 2, ("--encoding big5",)


@case
def nul_in_header(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    data = _bytes(city)
    return city.draw_args(city.write("nul1.csv", data[:3] + b"\x00" + data[3:])), 2, ("row 1", "NUL")


@case
def nul_in_the_middle(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    data = _bytes(city)
    at = data.index(b"\n", len(data) // 2) + 5
    line = data.count(b"\n", 0, at) + 1
    return city.draw_args(city.write("nul2.csv", data[:at] + b"\x00" + data[at:])), 2, (f"row {line}", "NUL")


@case
def out_is_a_file(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    file = city.write("a-file", "x")
    argv = city.draw_args()
    argv[argv.index("--out") + 1] = file
    return argv, 2, ("is a file, not a folder",)


@case
def out_below_a_file(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    file = city.write("b-file", "x")
    argv = city.assign_args()
    argv[argv.index("--out") + 1] = file / "sub"
    return argv, 2, ("is a file, not a folder",)


@case
def notices_out_is_a_file(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    return ["notices", city.draw, "--out", city.write("c-file", "x")], 2, ("is a file, not a folder",)


@case
def report_out_is_a_file(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    return ["report", city.draw, "--out", city.write("d-file", "x")], 2, ("d-file",)


@case
def output_would_replace_an_input(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    folder = city.out("clobber")
    folder.mkdir()
    inside = folder / "summary.csv"
    inside.write_bytes(_bytes(city))
    argv = city.draw_args(inside, "--force")
    argv[argv.index("--out") + 1] = folder
    return argv, 2, ("never replaces an input",)


@case
def history_with_a_header_only(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    history = city.write("h0.csv", "uscc,department,date,kind\n")
    return city.draw_args(None, "--history", history), 0, ()


@case
def history_without_the_departments_rows(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    lines = city.text("history.csv").splitlines()
    kept = [lines[0], *(line for line in lines[1:] if "市场监管局" not in line)]
    return city.draw_args(None, "--history", city.write("h1.csv", "\n".join(kept) + "\n")), 0, ()


@case
def population_without_status(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    lines = city.text().splitlines()
    cut = "\n".join(",".join(line.split(",")[:-1]) for line in lines) + "\n"
    return city.draw_args(city.write("nostatus.csv", cut)), 0, ("no 'status' column",)


@case
def status_column_named_but_absent(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    plan = city.plan_with('floor = "0.05"', 'floor = "0.05"\n[exclusions]\nstatus_column = "state"')
    return city.draw_args(None, plan=plan), 0, ("no 'state' column",)


PLAN_NUMBERS = {
    "cooldown": ("exclude_inspected_within_days = 180", "exclude_inspected_within_days = 1000000", "from 0 to 36525"),
    "cap": ("annual_cap = 2", "annual_cap = 10000000000000000000000000000000", "from 1 to 366"),
    "team": ("team_size = 2 ", "team_size = 9223372036854775807 ", "from 2 to 20"),
    "start": ("start = 2027-03-01", "start = 0001-01-01", "1900 to 2999"),
    "floor": ('floor = "0.05"', 'floor = "1e-99999999"', "at most 30 digits"),
    "ratio": ('ratio = "0.02"', 'ratio = "1e99999999"', "at most 30 digits"),
    "multiplier": ('A = "0.5"', 'A = "1e-99999999"', "at most 30 digits"),
}


@pytest.mark.parametrize("name", sorted(PLAN_NUMBERS))
def test_plan_numbers_past_any_sane_range_are_refused_at_once(
    city: City, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, message = PLAN_NUMBERS[name]
    status, err = run(city.draw_args(None, plan=city.plan_with(old, new)), capsys)
    assert status == 2 and message in err and "plan-" in err


def _roster(city: City, name: str, edit: Callable[[list[str], list[list[str]]], None]) -> Path:
    lines = city.text("roster.csv").splitlines()
    head, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
    edit(head, rows)
    return city.write(name, "\n".join(",".join(r) for r in [head, *rows]) + "\n")


@case
def roster_capacity_past_any_batch(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    def edit(head: list[str], rows: list[list[str]]) -> None:
        rows[0][head.index("capacity")] = "99999999999999999999"

    roster = _roster(city, "r1.csv", edit)
    return city.assign_args(None, roster), 2, ("row 2", "column 'capacity'", "99999999999999999999")


@case
def roster_with_nobody_active(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    def edit(head: list[str], rows: list[list[str]]) -> None:
        for row in rows:
            row[head.index("active")] = "否"

    return city.assign_args(None, _roster(city, "r2.csv", edit)), 0, ("wait",)


@case
def assign_given_a_cut_population(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    lines = city.text().splitlines()
    cut = city.write("pop101.csv", "\n".join(lines[:101]) + "\n")
    return city.assign_args(cut), 2, ("pop101.csv", "is not the population the draw read")


@case
def prove_given_a_cut_population(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    lines = city.text().splitlines()
    cut = city.write("pop102.csv", "\n".join(lines[:101]) + "\n")
    code = lines[1].split(",")[0]
    argv: list[object] = ["prove", city.draw, "--uscc", code, "--population", cut, "--out", city.out("p.json")]
    return argv, 2, ("is not the population this draw read",)


def _commitment(city: City) -> tuple[Path, Path]:
    folder, secret = city.out("commit"), city.tmp / "secret.txt"
    if not (folder / "commitment.json").exists():
        argv = ["commit", "--population", city.population, "--plan", city.plan, "--beacon", "b", "--out", folder]
        assert main([str(a) for a in [*argv, "--secret-out", secret]]) == 0
    return folder / "commitment.json", secret


def _reveal(city: City, commitment: Path, secret: Path) -> list[object]:
    out = city.out(f"reveal-{time.monotonic_ns()}")
    return [
        "draw",
        "--population",
        city.population,
        "--plan",
        city.plan,
        "--out",
        out,
        "--commitment",
        commitment,
        "--beacon-value",
        "v",
        "--secret",
        secret,
    ]


@case
def commitment_without_its_beacon(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    commitment, secret = _commitment(city)
    raw = json.loads(commitment.read_bytes())
    del raw["beacon"]
    return _reveal(city, city.write("c1.json", json.dumps(raw)), secret), 2, ("c1.json", "'beacon'")


@case
def commitment_of_the_wrong_types(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    commitment, secret = _commitment(city)
    raw = json.loads(commitment.read_bytes())
    raw["inputs"] = [1]
    return _reveal(city, city.write("c2.json", json.dumps(raw)), secret), 2, ("c2.json", "'inputs' must be an object")


@case
def secret_in_utf16(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    commitment, secret = _commitment(city)
    wide = city.write("s16.txt", secret.read_text(encoding="utf-8").encode("utf-16"))
    return _reveal(city, commitment, wide), 2, ("s16.txt", "64 hexadecimal digits")


@case
def secret_with_stray_bytes(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    commitment, secret = _commitment(city)
    stray = city.write("s2.txt", secret.read_bytes() + b"\xff\xfe junk")
    return _reveal(city, commitment, stray), 2, ("s2.txt", "64 hexadecimal digits")


@case
def proof_that_is_a_list(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    proof = city.write("list.json", "[1, 2]")
    return ["verify-proof", "--manifest", city.draw / "manifest.json", proof], 1, ("must be a JSON object",)


@case
def manifest_that_is_not_json(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    proof = city.write("obj.json", "{}")
    return ["verify-proof", "--manifest", city.write("m.json", "not json"), proof], 2, ("not a JSON file",)


@case
def negative_working_days(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    return ["notices", city.draw, "--out", city.out("n1"), "--working-days", "-1"], 2, ("0 or more; got -1",)


@case
def zero_rows_per_partition(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    argv: list[object] = ["verify", city.draw, "--engine", "dask", "--partition-rows", "0"]
    return argv, 2, ("at least 1; got 0",)


@case
def verify_given_a_history_the_draw_did_not_read(city: City) -> tuple[list[object], int, tuple[str, ...]]:
    plain = city.out("no-history")
    argv = ["draw", "--population", city.population, "--plan", city.plan, "--out", plain, "--seed", SEED]
    assert main([str(a) for a in argv]) == 0
    return ["verify", plain, "--history", city.inputs / "history.csv"], 1, ("drop --history",)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_case_of_the_issue(city: City, name: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv, expected, fragments = CASES[name](city)
    status, err = run(argv, capsys)
    assert status == expected, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


# -- properties: any damage to a file of any kind is a clean error or a clean acceptance -----------------------

DAMAGE = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 10**6), st.binary(min_size=1, max_size=4)),
    st.tuples(st.just("replace"), st.integers(0, 10**6), st.binary(min_size=1, max_size=4)),
    st.tuples(st.just("delete"), st.integers(0, 10**6), st.integers(1, 40)),
    st.tuples(st.just("truncate"), st.integers(0, 10**6), st.just(0)),
    st.tuples(
        st.just("text"),
        st.integers(0, 10**6),
        st.sampled_from(["\r", '"', ",", "\n", "=cmd|' /C calc'!A0", "１２", " ", "9" * 40, "-1", "$x$", "\t"]),
    ),
)


def _damaged(data: bytes, damage: tuple[str, int, object]) -> bytes:
    kind, where, what = damage
    at = where % (len(data) + 1)
    if kind == "insert":
        return data[:at] + bytes(what) + data[at:]  # type: ignore[arg-type]
    if kind == "replace":
        return data[:at] + bytes(what) + data[at + len(bytes(what)) :]  # type: ignore[arg-type]
    if kind == "delete":
        return data[:at] + data[at + int(what) :]  # type: ignore[call-overload]
    if kind == "truncate":
        return data[:at]
    return data[:at] + str(what).encode() + data[at:]


def _small(city: City, name: str, rows: int) -> bytes:
    lines = city.text(name).splitlines()
    return ("\n".join(lines[: rows + 1]) + "\n").encode("utf-8")


FUZZED = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture], database=None
)


@FUZZED
@given(damage=st.lists(DAMAGE, min_size=1, max_size=3), kind=st.sampled_from(["population", "history"]))
def test_property_a_damaged_draw_input_is_refused_or_read_never_a_crash(
    city: City, capsys: pytest.CaptureFixture[str], damage: list[tuple[str, int, object]], kind: str
) -> None:
    data = _bytes(city) if kind == "population" else _small(city, "history.csv", 200)
    for one in damage:
        data = _damaged(data, one)
    path = city.write(f"fuzz-{kind}.csv", data)
    argv = city.draw_args(path) if kind == "population" else city.draw_args(None, "--history", path)
    status, err = run(argv, capsys)
    assert status in (0, 2), err
    if status == 2:
        assert f"fuzz-{kind}.csv" in err or "error:" in err


@FUZZED
@given(
    damage=st.lists(DAMAGE, min_size=1, max_size=3),
    kind=st.sampled_from(["roster", "conflicts", "requests", "relations", "calendar-2027"]),
)
def test_property_a_damaged_staffing_input_is_refused_or_read_never_a_crash(
    city: City, capsys: pytest.CaptureFixture[str], damage: list[tuple[str, int, object]], kind: str
) -> None:
    data = (city.inputs / f"{kind}.csv").read_bytes()
    for one in damage:
        data = _damaged(data, one)
    path = city.write(f"fuzz-{kind}.csv", data)
    option = {"calendar-2027": "--calendar-overrides"}.get(kind, f"--{kind}")
    argv = city.assign_args()
    if option in argv:
        argv[argv.index(option) + 1] = path
    else:
        argv += [option, path]
    status, err = run(argv, capsys)
    assert status in (0, 2), err


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _paths(value: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every place in a JSON document (keys and list positions), the document itself excluded."""
    found: list[tuple[str | int, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found.append((*prefix, key))
        found += _paths(child, (*prefix, key))
    return found


def _replaced(doc: object, path: tuple[str | int, ...], new: object) -> object:
    copy = json.loads(json.dumps(doc))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return copy


@FUZZED
@given(data=st.data(), which=st.sampled_from(["manifest", "commitment", "proof"]))
def test_property_a_json_file_of_the_wrong_shape_is_a_clean_failure(
    city: City, capsys: pytest.CaptureFixture[str], data: st.DataObject, which: str
) -> None:
    commitment, secret = _commitment(city)
    if which == "proof":
        code = city.text().splitlines()[1].split(",")[0]
        source = city.out("proof.json")
        if not source.exists():
            assert main(["prove", str(city.draw), "--uscc", code, "--out", str(source)]) == 0
    else:
        source = city.draw / "manifest.json" if which == "manifest" else commitment
    doc = json.loads(source.read_bytes())
    where = data.draw(st.sampled_from(_paths(doc)))
    text = json.dumps(_replaced(doc, where, data.draw(JSON_VALUES)))
    if which == "proof":
        argv: list[object] = ["verify-proof", "--manifest", city.draw / "manifest.json", city.write("shape.json", text)]
    elif which == "commitment":
        argv = _reveal(city, city.write("shape-commitment.json", text), secret)
    else:  # the manifest of a copy of the draw, sealed again as an attacker would
        folder = city.out(f"shape-{time.monotonic_ns()}")
        shutil.copytree(city.draw, folder)
        (folder / "manifest.json").write_text(text, encoding="utf-8")
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        (folder / "manifest.sha256").write_text(f"{digest}  manifest.json\n", encoding="utf-8")
        argv = ["verify", folder]
    status, err = run(argv, capsys)
    assert status in (0, 1, 2), err


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('D = "4"\n', "", "have no entry for the value 'D'"),
        ('A = "0.5"\nB = "1"\nC = "2"\nD = "4"', 'A = "0"\nB = "0"\nC = "0"\nD = "0"', "multiplier 0 can never"),
    ],
    ids=["class without a multiplier", "every multiplier 0"],
)
def test_commit_refuses_a_plan_the_draw_would_refuse_before_the_commitment_exists(
    city: City, capsys: pytest.CaptureFixture[str], old: str, new: str, message: str
) -> None:
    out = city.out(f"commit-{time.monotonic_ns()}")
    argv = ["commit", "--population", city.population, "--plan", city.plan_with(old, new), "--beacon", "b"]
    status, err = run([*argv, "--out", out, "--no-secret"], capsys)
    assert status == 2 and message in err
    assert not (out / "commitment.json").exists()
