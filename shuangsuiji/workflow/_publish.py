"""Assembling what the public gets (一公开): a folder that can be posted whole and leaks nothing.

:func:`run_publish` copies from a draw's folder exactly what anyone may see and
check: the commitment, the manifest and its seal, the draw's tables, the
assignment's record and tables (never its inputs: the roster and the conflict
declarations stay with the bureau), the notices, the offline page and a short
guide in Chinese. The inputs the manifest records (the population, the history,
the plan file) are withheld and listed in ``draw/publication.json``, so that
``verify`` on the public folder alone says what it could not recompute without
them instead of failing. It refuses to publish a folder that holds the
ceremony's secret, and refuses (or with ``force`` replaces) a target folder that
holds an earlier publication. The folder is assembled in a stage beside the
target and moved in once complete (one rename into a new target), so a killed
run posts nothing; its stage is refused next time until ``force``.

A sealed plan (``[publication] mode = "sealed"``) is published in two steps: at
the draw, only what binds it (the commitment, the manifest's seal line and
``draw/sealed.json`` naming the day of the reveal); on that day (``reveal``),
everything, with ``sealed.json`` again, so that ``verify`` checks that the
revealed manifest is the one sealed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from importlib.resources import files as package_files
from pathlib import Path

from .._i18n import _
from .._outdir import claim_folder
from ..assignment.manifest import AssignmentManifest
from ..ceremony import Commitment
from ..exceptions import FolderError, NotFoundError
from ..io import atomic_write_bytes
from ..manifest import InputFile, Manifest
from ..sealed import SEALED_FILE, SEALED_FORMAT

__all__ = [
    "PUBLICATION_FILE",
    "PUBLICATION_FORMAT",
    "SEALED_FILE",
    "SEALED_FORMAT",
    "PublishStep",
    "find_secrets",
    "run_publish",
]

#: The file, in the published draw folder, that lists the inputs the bureau did not publish.
PUBLICATION_FILE = "publication.json"
#: Its format name and version.
PUBLICATION_FORMAT = "shuangsuiji-publication/1"
_GUIDE = "如何核验.txt"


@dataclass(frozen=True)
class PublishStep:
    """What :func:`run_publish` wrote, the recorded inputs it withheld (by role), and the seal's day if sealed."""

    out: Path
    paths: tuple[Path, ...]
    withheld: tuple[str, ...]
    sealed_until: dt.date | None = None


def _secret_digests(manifest: Manifest, commitment: Commitment | None) -> set[str]:
    digests = {commitment.secret_sha256} if commitment is not None and commitment.secret_sha256 else set()
    if manifest.seed_record.secret:
        digests.add(hashlib.sha256(bytes.fromhex(manifest.seed_record.secret)).hexdigest())
    return digests


def _is_secret(path: Path, digests: set[str]) -> bool:
    """Whether a file is (or is named as) a secret: ``*secret*``, ``*salt-key*``, or 32 hex bytes hashing to one."""
    if "secret" in path.name.lower() or "salt-key" in path.name.lower():
        return True
    if not path.is_file() or path.stat().st_size > 200:
        return False
    text = path.read_bytes().decode("utf-8", errors="replace").strip()
    try:
        return len(text) == 64 and hashlib.sha256(bytes.fromhex(text)).hexdigest() in digests
    except ValueError:
        return False


def find_secrets(folders: Iterable[Path], digests: set[str] | None = None) -> list[Path]:
    """Files in ``folders`` (and below) that are a ceremony's secret, by name or by content."""
    found: list[Path] = []
    for folder in folders:
        if folder.is_dir():
            found += [p for p in sorted(folder.rglob("*")) if p.is_file() and _is_secret(p, digests or set())]
    return found


def _guide(manifest: Manifest, withheld: tuple[str, ...]) -> str:
    plan = manifest.parsed_plan()
    mode = {"commit-reveal": "承诺—揭示(种子由事先公布的承诺、公共随机信标和揭示的秘密共同决定)", "beacon": "仅信标"}
    seed_mode = mode.get(manifest.seed_record.mode, "直接给定(抽查机关自行给出种子,无法证明未经挑选)")
    lines = [
        f"{plan.title or plan.id} 双随机抽查公示材料 · 如何核验",
        "",
        f"抽查计划编号:{plan.id}",
        f"随机种子方式:{seed_mode}",
        f"draw/manifest.json 的 SHA-256:{manifest.sha256}",
        "",
        "1. 先核对上面的 SHA-256 与抽查机关在公告栏或国家企业信用信息公示系统公布的一致;",
        "   命令行:cd draw && sha256sum -c manifest.sha256",
        "2. 手机或电脑打开 verify.html(不联网),选择 draw/manifest.json 和 commitment.json,",
        "   输入统一社会信用代码;如有本企业的核验证明(proof-代码.json),一并选择。",
        "3. 完整核验:pip install shuangsuiji,然后 shuangsuiji verify draw/",
        "",
        "未公开的输入(检查对象名录库等)由抽查机关保存:" + ("、".join(withheld) if withheld else "无"),
        "名录库以 Merkle 根承诺,企业可向抽查机关索取本企业的证明,用 verify.html 或",
        "shuangsuiji verify-proof 自行核对,无需信任任何人。",
        "",
        "How to check: compare the SHA-256 above with the one the bureau posted; open verify.html",
        "offline; or run `shuangsuiji verify draw/`. Withheld inputs are listed in draw/publication.json.",
        "",
    ]
    return "\n".join(lines)


def _sealed_guide(manifest: Manifest, reveal_by: dt.date) -> str:
    plan = manifest.parsed_plan()
    return "\n".join(
        [
            f"{plan.title or plan.id} 双随机抽查 · 抽取结果封存公示",
            "",
            f"抽查计划编号:{plan.id}",
            "本次抽取已完成。为保证检查不预先通知,抽取结果(抽中名单、随机种子)暂予封存,",
            f"最迟于 {reveal_by.isoformat()} 全部公开。现在公开的内容足以保证届时公开的结果不能被更改:",
            f"  draw/manifest.json 的 SHA-256:{manifest.sha256}",
            "  commitment.json:抽取前公布的承诺(名录库的 Merkle 根、抽查计划和秘密的 SHA-256)。",
            "届时请核对公开的 manifest.json 的 SHA-256 与上面的一致,再用 verify.html 或",
            "shuangsuiji verify 核验。逾期未公开本身即是应当追问的事实。",
            "",
            f"Sealed draw: its manifest's SHA-256 is {manifest.sha256}; everything else is revealed by",
            f"{reveal_by.isoformat()}. Check then that the revealed manifest has this SHA-256.",
            "",
        ]
    )


def _sealed_record(manifest: Manifest, reveal_by: dt.date, commitment: Commitment | None) -> bytes:
    entry = manifest.seed_record.commitment
    record = {
        "format": SEALED_FORMAT,
        "plan_id": manifest.parsed_plan().id,
        "manifest_sha256": manifest.sha256,
        "commitment": None if entry is None else entry.path,
        "commitment_sha256": None if commitment is None else commitment.sha256,
        "reveal_by": reveal_by.isoformat(),
    }
    return json.dumps(record, ensure_ascii=False).encode("utf-8") + b"\n"


def _copy(source: Path, target: Path, written: list[Path]) -> None:
    if not source.is_file():
        raise NotFoundError(
            _("{path} is missing: the draw's manifest records it; is the draw folder complete?").format(path=source)
        )
    atomic_write_bytes(target, source.read_bytes())
    written.append(target)


def run_publish(
    draw: str | Path,
    out: str | Path,
    *,
    notices: str | Path | None = None,
    force: bool = False,
    reveal: bool = False,
) -> PublishStep:
    """Assemble the public folder of a draw (see the module docstring).

    The folder holds ``commitment.json`` (and its ``.sha256``), ``verify.html``,
    ``如何核验.txt``, ``draw/`` (the manifest, its seal, the tables, the
    assignment's record and tables, ``publication.json``) and ``notices/``.
    For a sealed plan, unless ``reveal``: only the commitment, ``draw/manifest.sha256``,
    ``draw/sealed.json``, the guide and the plan notice (抽查计划公告), which was public anyway.

    Raises
    ------
    FolderError
        If a source or the target holds a secret, or the target holds an earlier publication
        (and ``force`` is false).
    NotFoundError
        If a file the manifests record is missing.
    """
    source, target = Path(draw), Path(out)
    manifest = Manifest.read(source)
    entry = manifest.seed_record.commitment
    commitment_path = source / entry.path if entry is not None else None
    commitment = Commitment.read(commitment_path) if commitment_path is not None else None
    digests = _secret_digests(manifest, commitment)
    folders = [source, target] + ([Path(notices)] if notices is not None else [])
    if commitment_path is not None:
        folders.append(commitment_path.parent)
    secrets = find_secrets(dict.fromkeys(f.resolve() for f in folders), digests)
    if secrets:
        raise FolderError(
            _(
                "{path} is (or is named as) the ceremony's secret: move it out of the folders that are "
                "published before publishing (keep it where 'commit --secret-out' put it)."
            ).format(path=secrets[0])
        )
    if target.resolve() == source.resolve() or target.resolve().is_relative_to(source.resolve()):
        raise FolderError(
            _("{target}: publish into a new folder, not into the draw's folder {source}.").format(
                target=target, source=source
            )
        )
    claim_folder(target, _OWNED, step="publish", force=force, staged=True)
    claim_folder(target / "draw", ("*",), step="publish", force=force, staged=True)
    if (target / "notices").is_dir() and any((target / "notices").iterdir()) and not force:
        raise FolderError(
            _("{folder} holds an earlier publication's notices; add --force to replace.").format(
                folder=target / "notices"
            )
        )
    stage = _fresh_stage(target, force=force)
    try:
        step = _assemble(source, stage, manifest, commitment, notices=notices, reveal=reveal)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    _land(stage, target)
    paths = tuple(target / p.relative_to(stage) for p in step.paths)
    return PublishStep(target, paths, step.withheld, step.sealed_until)


#: What a publication writes at the top of its folder (``draw/`` and ``notices/`` are its own whole).
_OWNED = ("commitment.json", "commitment.sha256", "verify.html", _GUIDE)


def _fresh_stage(target: Path, *, force: bool) -> Path:
    """The folder the publication is assembled in, beside ``target``; an interrupted one is refused or removed."""
    stage = target.resolve().parent / f".{target.resolve().name}.shuangsuiji-partial-publish"
    if stage.exists() and not force:
        raise FolderError(
            _(
                "a publication into {target} was interrupted before it finished and left {stage}: "
                "run 'publish' again with --force (it is removed first), or remove it yourself."
            ).format(target=target, stage=stage)
        )
    if stage.is_dir():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    return stage


def _land(stage: Path, target: Path) -> None:
    """Put the assembled folder in place: one rename into a new (or empty) folder, else entry by entry."""
    if target.is_dir() and not any(target.iterdir()):
        target.rmdir()
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(stage, target)
        return
    for name in _OWNED:  # an earlier publication's (claimed with --force), not written again
        if (target / name).is_file() and not (stage / name).exists():
            (target / name).unlink()
    for sub in ("draw", "notices"):
        if (target / sub).is_dir():
            shutil.rmtree(target / sub)
    for entry in sorted(stage.iterdir(), key=lambda p: p.name == "draw"):  # the draw's record last
        os.replace(entry, target / entry.name)
    stage.rmdir()


def _assemble(
    source: Path,
    target: Path,
    manifest: Manifest,
    commitment: Commitment | None,
    *,
    notices: str | Path | None,
    reveal: bool,
) -> PublishStep:
    """Write the public folder of the draw in ``source`` into ``target`` (the stage)."""
    entry = manifest.seed_record.commitment
    commitment_path = source / entry.path if entry is not None else None
    written: list[Path] = []
    policy = manifest.parsed_plan().publication
    reveal_by = policy.reveal_by if policy.sealed else None
    if reveal_by is not None:
        atomic_write_bytes(target / "draw" / SEALED_FILE, _sealed_record(manifest, reveal_by, commitment))
        written.append(target / "draw" / SEALED_FILE)
    if reveal_by is not None and not reveal:
        return _publish_sealed(
            source,
            target,
            manifest=manifest,
            reveal_by=reveal_by,
            entry=entry,
            commitment_path=commitment_path,
            notices=notices,
            written=written,
        )
    names = ["manifest.json", "manifest.sha256", *sorted(manifest.outputs)]
    if (source / "assignment.json").exists():
        names += ["assignment.json", "assignment.sha256", *sorted(AssignmentManifest.read(source).outputs)]
    for name in names:
        _copy(source / name, target / "draw" / name, written)
    withheld = tuple(sorted(manifest.inputs))
    record = {"format": PUBLICATION_FORMAT, "manifest_sha256": manifest.sha256, "withheld": list(withheld)}
    atomic_write_bytes(target / "draw" / PUBLICATION_FILE, json.dumps(record, ensure_ascii=False).encode() + b"\n")
    written.append(target / "draw" / PUBLICATION_FILE)
    _copy_commitment(target, entry, commitment_path, written)
    _copy_notices(target, notices, written, plan_only=False)
    page = package_files("shuangsuiji").joinpath("data/verify.html").read_bytes()
    atomic_write_bytes(target / "verify.html", page)
    atomic_write_bytes(target / _GUIDE, _guide(manifest, withheld).encode("utf-8"))
    written += [target / "verify.html", target / _GUIDE]
    return PublishStep(target, tuple(written), withheld, reveal_by if reveal else None)


def _copy_commitment(target: Path, entry: InputFile | None, commitment_path: Path | None, written: list[Path]) -> None:
    """The commitment where the manifest says it is, relative to the draw, so that verify finds it there too."""
    if commitment_path is None or entry is None:
        return
    placed = Path(os.path.normpath(target / "draw" / entry.path))
    if not placed.resolve().is_relative_to(target.resolve()):
        raise FolderError(
            _(
                "{path}: the manifest records the commitment at {recorded}, outside the folder "
                "that would be published; commit into the draw's parent folder (commit --out pub, draw --out pub/draw)."
            ).format(path=commitment_path, recorded=entry.path)
        )
    _copy(commitment_path, placed, written)
    seal = commitment_path.with_suffix(".sha256")
    if seal.is_file():
        _copy(seal, placed.with_suffix(".sha256"), written)


def _copy_notices(target: Path, notices: str | Path | None, written: list[Path], *, plan_only: bool) -> None:
    """The notices (not ``pending.csv``, the bureau's to-do list, nor a run's stamp); only the plan notice if sealed."""
    if notices is None:
        return
    for path in sorted(Path(notices).iterdir()):
        private = path.name == "pending.csv" or path.name.startswith(".")
        if not path.is_file() or private or (plan_only and not path.name.startswith("抽查计划公告")):
            continue
        _copy(path, target / "notices" / path.name, written)


def _publish_sealed(
    source: Path,
    target: Path,
    *,
    manifest: Manifest,
    reveal_by: dt.date,
    entry: InputFile | None,
    commitment_path: Path | None,
    notices: str | Path | None,
    written: list[Path],
) -> PublishStep:
    """What a sealed plan publishes at the draw: what binds the draw, nothing that tells a firm its fate."""
    if manifest.seed_record.mode != "commit-reveal":
        raise FolderError(
            _(
                "{source}: a sealed plan is drawn from a commitment with a secret (commit --secret-out, then draw "
                "--commitment ... --secret ...); this draw's seed could be computed, or chosen, by anyone who saw it."
            ).format(source=source)
        )
    _copy(source / "manifest.sha256", target / "draw" / "manifest.sha256", written)
    _copy_commitment(target, entry, commitment_path, written)
    _copy_notices(target, notices, written, plan_only=True)
    atomic_write_bytes(target / _GUIDE, _sealed_guide(manifest, reveal_by).encode("utf-8"))
    written.append(target / _GUIDE)
    return PublishStep(target, tuple(written), tuple(sorted(manifest.inputs)), reveal_by)
