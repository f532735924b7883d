"""``verify`` and its proofs in Chinese and in English (issue 15): the same checks, the same verdict, other words.

A check's name (``output selection.csv``) is an identifier that code compares, kept in English in the
:class:`~shuangsuiji.checks.Check`; its line shows the name in the language of messages (``输出
selection.csv``), with its detail, the marks and the verdict. The exit status is the same in both languages.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from shuangsuiji._i18n import using_language
from shuangsuiji.cli import main
from shuangsuiji.exceptions import ManifestError, NotFoundError, SeedError
from shuangsuiji.manifest import Manifest
from shuangsuiji.proofs import make_proof, verify_proof
from shuangsuiji.seed import check_seed
from shuangsuiji.verify import verify_draw

from .conftest import publish


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed, drawn example city: ``draw`` as published, and ``tampered``, a copy with two outputs changed."""
    tmp = tmp_path_factory.mktemp("verify_zh")
    draw = publish(tmp, entities=300, seed=7)
    tampered = tmp / "pub" / "tampered"
    shutil.copytree(draw, tampered)
    selection = tampered / "selection.csv"
    selection.write_bytes(selection.read_bytes() + b"\n")  # one byte added: its SHA-256 and the recomputation fail
    (tampered / "summary.csv").unlink()
    return tmp


def _verified(folder: Path, lang: str) -> tuple[list[tuple[str, bool]], list[str], str]:
    with using_language(lang):
        result = verify_draw(folder)
        lines, verdict = str(result).splitlines(), result.verdict()
    return [(c.name, c.ok) for c in result.checks], lines, verdict


def test_a_tampered_draw_fails_with_the_same_checks_in_chinese_and_english(published: Path) -> None:
    folder = published / "pub" / "tampered"
    zh_checks, zh_lines, zh_verdict = _verified(folder, "zh")
    en_checks, en_lines, en_verdict = _verified(folder, "en")
    assert zh_checks == en_checks  # the names (identifiers) and outcomes do not depend on the language
    failed = {name for name, ok in en_checks if not ok}
    assert {"output selection.csv", "output summary.csv", "recomputed selection.csv"} <= failed
    missing = folder / "summary.csv"
    assert f"FAIL  output summary.csv: {missing} is missing: the manifest lists it as an output" in en_lines
    assert "FAIL  recomputed selection.csv: differs from the recomputed draw" in en_lines
    assert any(line.endswith(": identical") for line in en_lines)
    assert en_verdict.startswith("NOT VERIFIED: ")
    # the name stays as code compares it in the Check; the line shows it, and the detail after it, in Chinese
    shown = {line.split("  ", 1)[1].strip() for line in zh_lines}
    assert f"输出 summary.csv\uff1a缺少 {missing}：清单将其列为输出文件" in shown
    assert "重算的 selection.csv\uff1a与重新计算的抽取结果不一致" in shown
    assert "重算的清单\uff1a完全一致" in shown
    assert not any("differs" in line or "is missing" in line or "recomputed" in line for line in zh_lines)
    assert zh_verdict != en_verdict


def test_the_command_line_verify_exits_the_same_in_either_language(
    published: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = str(published / "pub" / "tampered")
    assert main(["--lang", "en", "verify", folder]) == 1
    english = capsys.readouterr().out
    assert main(["--lang", "zh", "verify", folder]) == 1
    chinese = capsys.readouterr().out
    assert "differs from the recomputed draw" in english and "与重新计算的抽取结果不一致" in chinese
    assert "differs from the recomputed draw" not in chinese
    assert len(english.splitlines()) == len(chinese.splitlines())  # one line per check, then the verdict
    assert main(["--lang", "zh", "verify", str(published / "pub" / "draw")]) == 0
    passed = capsys.readouterr().out
    assert "个被抽中的检查对象：抽签号已重新计算，均不高于所在层的阈值" in passed


def test_verify_proof_lines_in_chinese_and_english(published: Path, capsys: pytest.CaptureFixture[str]) -> None:
    draw = published / "pub" / "draw"
    manifest = (draw / "manifest.json").read_bytes()
    code = pd.read_csv(draw / "selection.csv", dtype=str, encoding="utf-8-sig")["uscc"].iloc[0]
    proof = make_proof(draw, code).to_dict()
    at = next(i for i, t in enumerate(proof["tasks"]) if t["outcome"] == "selected")
    tasks = [{**t, "outcome": "not_selected"} if i == at else t for i, t in enumerate(proof["tasks"])]
    tampered = {**proof, "tasks": tasks}
    with using_language("zh"):
        chinese = verify_proof(tampered, manifest)
    english = verify_proof(tampered, manifest)
    assert [(c.name, c.ok) for c in chinese.checks] == [(c.name, c.ok) for c in english.checks]
    assert not english.ok
    task = proof["tasks"][at]["task_id"]
    (zh_line,) = [c.detail for c in chinese.checks if c.name == f"task {task} outcome"]
    (en_line,) = [c.detail for c in english.checks if c.name == f"task {task} outcome"]
    assert en_line.startswith("ticket <= threshold ") and en_line.endswith(": selected")
    assert zh_line.startswith("抽签号 <= 阈值 ") and zh_line.endswith("：被抽中")
    out = published / "tampered-proof.json"
    out.write_text(json.dumps(tampered), encoding="utf-8")
    args = ["verify-proof", str(out), "--manifest", str(draw / "manifest.json")]
    assert main(["--lang", "zh", *args]) == 1
    assert "：被抽中" in capsys.readouterr().out
    assert main(["--lang", "en", *args]) == 1
    assert ": selected" in capsys.readouterr().out


def test_errors_of_the_verify_modules_in_chinese_and_english(published: Path) -> None:
    draw = published / "pub" / "draw"
    with using_language("zh"), pytest.raises(SeedError) as chinese:
        check_seed("AB" * 32)
    assert str(chinese.value) == f"随机种子须为 64 位小写十六进制数字；实为 {'AB' * 32!r}。请用小写字母书写，不含空格。"
    with pytest.raises(SeedError) as english:
        check_seed("AB" * 32)
    assert str(english.value).endswith("; got " + repr("AB" * 32) + ". Write it in lower case without spaces.")
    with using_language("zh"), pytest.raises(ManifestError) as chinese_manifest:
        Manifest.from_dict({"format": 1}, where="manifest.json")
    assert str(chinese_manifest.value) == "manifest.json：“format”须为文本；实为数字。"
    with pytest.raises(ManifestError) as english_manifest:
        Manifest.from_dict({"format": 1}, where="manifest.json")
    assert str(english_manifest.value) == "manifest.json: 'format' must be text; got a number."
    manifest = Manifest.read(draw)
    with using_language("zh"), pytest.raises(NotFoundError) as chinese_task:
        manifest.task("nope")
    assert str(chinese_task.value).startswith("本次抽取没有抽查任务 'nope'；其抽查任务为 [")
    with pytest.raises(NotFoundError) as english_task:
        manifest.task("nope")
    assert str(english_task.value).startswith("The draw has no task 'nope'; its tasks are [")
