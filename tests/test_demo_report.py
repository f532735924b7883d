"""The demo end to end (small), the report, and every command's help."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import matplotlib
import pytest

from shuangsuiji import _commands as commands_module, report as report_module
from shuangsuiji.cli import build_parser, main
from shuangsuiji.exceptions import InternalError, YearError
from shuangsuiji.report import write_report
from shuangsuiji.workflow import run_demo


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    result = run_demo(tmp_path_factory.mktemp("demo") / "out", entities=4000)
    assert result.verified
    return result.out


@pytest.mark.slow
def test_demo_publishes_everything_and_verifies(demo: Path) -> None:
    publish = demo / "publish"
    assert (demo / "private/secret.txt").exists() and not list(publish.rglob("secret*"))
    for path in (
        "commitment.json",
        "verify.html",
        "draw/manifest.json",
        "draw/assignment.json",
        "draw/teams.csv",
        "notices/抽查结果公告.xlsx",
        "notices/抽查任务公告.html",
        "notices/pending.csv",
    ):
        assert (publish / path).exists(), path
    proc = subprocess.run(
        [sys.executable, "-m", "shuangsuiji", "verify", str(publish / "draw")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and "VERIFIED:" in proc.stdout
    # the folder to post: no secret, no inputs, no to-do list, and it verifies on its own
    public = demo / "public"
    posted = {p.relative_to(public).as_posix() for p in public.rglob("*") if p.is_file()}
    assert {"commitment.json", "verify.html", "如何核验.txt", "draw/manifest.json", "draw/publication.json"} <= posted
    assert not any("secret" in p or p.endswith(("pending.csv", "roster.csv", "population.csv")) for p in posted)
    proc = subprocess.run(
        [sys.executable, "-m", "shuangsuiji", "verify", str(public / "draw")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0 and "VERIFIED" in proc.stdout


@pytest.mark.slow
def test_report_renders_with_figures_and_alt_text(demo: Path) -> None:
    page = (demo / "report" / "report.html").read_text(encoding="utf-8")
    for name in ("allocation", "inclusion", "overlap", "loads", "days", "exclusions"):
        assert (demo / "report" / f"{name}.png").stat().st_size > 5000
        assert f'<figure id="{name}">' in page
    assert page.count('alt="') == 6 and "http://" not in page and "https://" not in page
    assert "data:image/png;base64," in page


def test_report_without_a_cjk_font_labels_in_english(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_module, "cjk_font", lambda: None)
    page = write_report(demo / "publish" / "draw", tmp_path).read_text(encoding="utf-8")
    assert "No CJK font was found" in page


def _commands() -> list[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(sub.choices)


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([command, "--help"])
    assert info.value.code == 0 and f"usage: shuangsuiji {command}" in capsys.readouterr().out


def test_all_commands_are_covered() -> None:
    assert set(_commands()) == {
        "amend",
        "assign",
        "capacity",
        "check-uscc",
        "commit",
        "demo",
        "draw",
        "example",
        "import",
        "import-items",
        "ledger",
        "notices",
        "officer-proof",
        "page",
        "prove",
        "publish",
        "report",
        "template",
        "ticket",
        "verify",
        "verify-officer-proof",
        "verify-proof",
        "year",
    }


@pytest.mark.parametrize(
    "argv",
    [
        ["year", "commit"],
        ["year", "draw"],
        ["year", "status"],
        ["ledger", "add"],
        ["ledger", "export"],
        ["ledger", "verify"],
    ],
)
def test_every_action_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([*argv, "--help"])
    assert info.value.code == 0 and f"usage: shuangsuiji {' '.join(argv)}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [
        ["verify", "/nonexistent"],
        ["report", "/nonexistent"],
        ["notices", "/nonexistent", "--out", "/tmp/x"],
        ["verify-proof", "/nonexistent", "--manifest", "/nonexistent"],
        ["prove", "/nonexistent", "--uscc", "X"],
    ],
)
def test_errors_have_no_traceback(argv: list[str]) -> None:
    proc = subprocess.run([sys.executable, "-m", "shuangsuiji", *argv], capture_output=True, text=True, check=False)
    assert proc.returncode in (1, 2) and "Traceback" not in proc.stderr


def _raises(exc: BaseException) -> Callable[[argparse.Namespace], int]:
    def run(_: argparse.Namespace) -> int:
        raise exc

    return run


@pytest.mark.parametrize(
    ("exc", "status", "message"),
    [
        (InternalError("a broken guarantee"), 3, "internal error (a bug in shuangsuiji"),
        (YearError("bad year"), 2, "error: bad year"),
        (FileNotFoundError(2, "No such file or directory", "x.csv"), 2, "error: x.csv: No such file or directory"),
        (KeyboardInterrupt(), 130, "interrupted"),
        (BrokenPipeError(), 141, ""),
        (KeyError("inspector_id"), 3, "internal error (a bug in shuangsuiji, please report it"),
        (OSError(28, "No space left on device", "out/selection.csv"), 2, "error: out/selection.csv: No space left"),
    ],
    ids=["bug", "library error", "missing file", "interrupted", "reader gone", "any other exception", "disk full"],
)
def test_the_command_line_turns_each_failure_into_a_status(
    exc: BaseException, status: int, message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    redirected: list[int] = []
    monkeypatch.setattr(commands_module.os, "dup2", lambda _src, dst: redirected.append(dst))
    monkeypatch.setattr(commands_module.sys, "stdout", argparse.Namespace(fileno=lambda: 99))
    assert commands_module.guarded(_raises(exc), argparse.Namespace()) == status
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert redirected == ([99] if isinstance(exc, BrokenPipeError) else [])  # stdout to /dev/null: the reader is gone


def test_an_unforeseen_exception_names_itself_and_shows_its_traceback_only_on_request(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(commands_module.DEBUG_VARIABLE, raising=False)
    assert commands_module.guarded(_raises(KeyError("inspector_id")), argparse.Namespace()) == 3
    quiet = capsys.readouterr().err
    assert "KeyError at test_demo_report.py:" in quiet and "'inspector_id'" in quiet
    assert f"{commands_module.DEBUG_VARIABLE}=1" in quiet and "Traceback" not in quiet
    monkeypatch.setenv(commands_module.DEBUG_VARIABLE, "1")
    assert commands_module.guarded(_raises(KeyError("inspector_id")), argparse.Namespace()) == 3
    assert "Traceback (most recent call last)" in capsys.readouterr().err


def test_text_from_the_inputs_is_drawn_as_text_never_as_mathtext(tmp_path: Path) -> None:
    """A stratum value such as ``$\\undefinedcmd$`` is a label; matplotlib's mathtext would fail on it."""
    vectors = Path(__file__).parent / "vectors"
    odd = "$\\undefinedcmd$"
    population = tmp_path / "population.csv"
    text = (vectors / "golden_population.csv").read_text(encoding="utf-8-sig")
    population.write_text(text.replace(",410302,", f",{odd},"), encoding="utf-8")
    plan = tmp_path / "plan.toml"
    toml = (vectors / "golden_plan.toml").read_text(encoding="utf-8")
    plan.write_text(toml.replace('"410302"', '"$\\\\undefinedcmd$"'), encoding="utf-8")
    out = tmp_path / "draw"
    args = ["draw", "--population", str(population), "--plan", str(plan), "--seed", "ab" * 32, "--out", str(out)]
    assert main(args) == 0
    assert f"region={odd}" in (out / "allocation.csv").read_text(encoding="utf-8-sig")
    page = write_report(out, tmp_path / "report").read_text(encoding="utf-8")
    assert (tmp_path / "report" / "allocation.png").stat().st_size > 5000
    assert '<figure id="allocation">' in page
    assert matplotlib.rcParams["text.parse_math"]  # only the report's figures: an analyst's plots keep it
