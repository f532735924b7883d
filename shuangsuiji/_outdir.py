"""Output folders that never mix two runs (private).

A folder written by ``draw`` or ``assign`` is published as a whole, and
``verify`` checks what is in it: stale files of an earlier run beside new ones
(an old ``assignment.json`` next to a new draw) are at best noise and at worst
a wrong notice. So each step claims its folder first (:func:`claim_folder`):
files of an earlier run of the same kind make it refuse, or, with ``force``,
be removed. Files the library did not write are never touched.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     _ = (Path(tmp) / "teams.csv").write_text("old")
...     try:
...         claim_folder(tmp, ASSIGN_WRITES, step="assign")
...     except FolderError as exc:
...         print("earlier run" in str(exc))
...     print(claim_folder(tmp, ASSIGN_WRITES, step="assign", force=True).exists(), list(Path(tmp).iterdir()))
True
True []
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from collections.abc import Collection, Iterable
from pathlib import Path

from ._i18n import _
from ._runs import check_settled, settle
from .assignment.manifest import ASSIGNMENT_FILES, AssignmentManifest
from .exceptions import FolderError
from .io import seal_line, sha256_file
from .manifest import DRAW_FILES, Manifest

__all__ = [
    "ASSIGN_WRITES",
    "COMMIT_WRITES",
    "DEMO_MARK",
    "DRAW_WRITES",
    "NOTICE_WRITES",
    "check_complete",
    "check_folder",
    "claim_demo_folder",
    "claim_folder",
    "stale_files",
]

#: What ``assign`` writes into its folder.
ASSIGN_WRITES: tuple[str, ...] = (*ASSIGNMENT_FILES, "assignment.json", "assignment.sha256")
#: What ``draw`` writes, and what is made from a draw beside it (an assignment, proofs): all of a run.
DRAW_WRITES: tuple[str, ...] = (
    *DRAW_FILES,
    "manifest.json",
    "manifest.sha256",
    *ASSIGN_WRITES,
    "proof-*.json",
)
#: What ``notices`` writes (every notice in three forms, the export, the results still pending).
NOTICE_WRITES: tuple[str, ...] = (
    "抽查计划公告.*",
    "抽查任务公告.*",
    "抽查结果公告.*",
    "抽查结果公示导出.*",
    "pending.csv",
)
#: What ``commit`` writes (the ledger's view of a year's commit is rewritten by every run, so it is not stale).
COMMIT_WRITES: tuple[str, ...] = ("commitment.json", "commitment.sha256")


def stale_files(folder: str | Path, names: Collection[str]) -> list[Path]:
    """The files of ``folder`` (not its subfolders) whose names match one of ``names`` (``*`` globs)."""
    path = Path(folder)
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if p.is_file() and any(fnmatch.fnmatchcase(p.name, n) for n in names))


def check_folder(
    folder: str | Path, names: Collection[str], *, step: str, inputs: Iterable[str | Path | None] = ()
) -> Path:
    """Check, before any work, that ``folder`` can take the files of ``step`` without harm.

    Nothing is written or removed: this only refuses a folder that is a file (or lies below one), and
    an input file that lies in ``folder`` under a name ``step`` writes (or removes with ``force``).

    Raises
    ------
    FolderError
        Naming the file, and how to fix it.
    """
    path = Path(folder)
    for parent in (path, *path.parents):
        if parent.exists() and not parent.is_dir():
            raise FolderError(
                _("{path}: {parent} is a file, not a folder; give a folder for the output of '{step}'.").format(
                    path=path, parent=parent, step=step
                )
            )
    if path.is_dir():
        here = os.path.realpath(path)
        for given in inputs:
            if given is None:
                continue
            source = Path(given)
            inside = os.path.dirname(os.path.realpath(source)) == here
            if inside and any(fnmatch.fnmatchcase(source.name, n) for n in names):
                raise FolderError(
                    _(
                        "{source} is an input of '{step}' and also a file '{step}' writes into {path}; move the "
                        "input out of that folder (or give another output folder): an output never replaces an input."
                    ).format(source=source, step=step, path=path)
                )
    return path


def claim_folder(
    folder: str | Path,
    names: Collection[str],
    *,
    step: str,
    force: bool = False,
    inputs: Iterable[str | Path | None] = (),
    staged: bool = False,
) -> Path:
    """Make sure ``folder`` can take a new run of ``step``: no files of an earlier one (removed with ``force``).

    A ``staged`` step calls this before any work and writes through
    :func:`shuangsuiji._runs.staged_run`: nothing is removed here (the run's journal removes the
    earlier run's files once the new run is complete), and a folder holding an interrupted run is
    refused (:func:`shuangsuiji._runs.check_settled`).

    Raises
    ------
    FolderError
        If ``folder`` is a file (or lies below one), if an input lies in it under a name ``step``
        writes (:func:`check_folder`), or if it holds files an earlier run wrote and ``force`` is false.
    """
    path = check_folder(folder, names, step=step, inputs=inputs)
    if staged:
        check_settled(path, step=step, force=force)
    stale = stale_files(path, names)
    if stale and not force:
        shown = _(", ").join(p.name for p in stale[:5])
        if len(stale) > 5:
            shown += _(" and {more} more").format(more=len(stale) - 5)
        raise FolderError(
            _(
                "{path} already holds files of an earlier run ({shown}): give an empty folder for '{step}', "
                "or add --force to remove them first."
            ).format(path=path, shown=shown, step=step)
        )
    for p in () if staged else stale:
        p.unlink()
    return path


#: The file that marks a folder as written by a demo, so that running the demo again may replace it.
DEMO_MARK = ".shuangsuiji-demo"


#: What the demo writes, to recognise a demo's folder written before :data:`DEMO_MARK` existed.
_DEMO_PARTS = frozenset({"inputs", "publish", "private", "public", "report", "ledger.sqlite", DEMO_MARK})


def _written_by_a_demo(path: Path) -> bool:
    if (path / DEMO_MARK).is_file():
        return True
    names = {p.name for p in path.iterdir()}
    # a year demo's batches are folders of its own; a batch demo has its inputs and its publication
    return names <= _DEMO_PARTS and (path / "inputs" / "plan.toml").is_file() and (path / "publish").is_dir()


def claim_demo_folder(folder: str | Path) -> Path:
    """Empty a folder an earlier demo wrote (it carries :data:`DEMO_MARK`) and mark it; any other must be empty.

    Raises
    ------
    FolderError
        If ``folder`` holds anything and was not written by a demo (nothing is removed then).
    """
    path = Path(folder)
    claim_folder(path, (), step="demo")
    if path.is_dir() and any(path.iterdir()):
        if not _written_by_a_demo(path):
            raise FolderError(
                _("{path} is not empty and was not written by a demo: give a new or empty folder with --out.").format(
                    path=path
                )
            )
        for entry in path.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    path.mkdir(parents=True, exist_ok=True)
    (path / DEMO_MARK).write_text("written by a shuangsuiji demo: running it again replaces this folder\n")
    return path


def check_complete(folder: str | Path, *, step: str, assignment: bool = True) -> None:
    """Refuse a draw folder that a killed or tampered run left half-written, before ``step`` reads it.

    Complete means: ``manifest.sha256`` seals ``manifest.json``, every output the manifest lists has
    its SHA-256, and assignment tables lie there only with their ``assignment.json`` (sealed by
    ``assignment.sha256``) whose outputs have theirs (not looked at without ``assignment``: ``assign``
    replaces them). A draw's manifest is written last, so a run killed before it leaves outputs that
    do not match the manifest of the run before.

    Raises
    ------
    FolderError
        Naming the first file that does not match, and how to fix it.
    """
    path = Path(folder)
    settle(path)
    fix = _(
        "the folder is half-written or changed since (was a run interrupted?): run the step that wrote it "
        "again with --force before '{step}'"
    ).format(step=step)
    manifest = Manifest.read(path)
    _sealed(path, "manifest.json", manifest.sha256, fix)
    for name, expected in sorted(manifest.outputs.items()):
        _matches(path / name, expected, fix)
    tables = [n for n in ASSIGNMENT_FILES if (path / n).exists()]
    if not tables or not assignment:
        return
    if not (path / "assignment.json").is_file():
        raise FolderError(
            _("{path}: {tables} lie here without assignment.json; run 'assign' again with --force.").format(
                path=path, tables=", ".join(tables)
            )
        )
    staffed = AssignmentManifest.read(path)
    _sealed(path, "assignment.json", staffed.sha256, fix)
    for name, expected in sorted(staffed.outputs.items()):
        _matches(path / name, expected, fix)


def _sealed(folder: Path, name: str, digest: str, fix: str) -> None:
    seal = folder / name.replace(".json", ".sha256")
    line = seal.read_bytes()[:200] if seal.is_file() else b""
    if line != seal_line(digest, name):
        raise FolderError(_("{seal} does not seal {name}: {fix}.").format(seal=seal, name=name, fix=fix))


def _matches(path: Path, expected: str, fix: str) -> None:
    if not path.is_file() or sha256_file(path) != expected:
        raise FolderError(
            _("{path} is not the file its manifest records (SHA-256 {expected}): {fix}.").format(
                path=path, expected=expected, fix=fix
            )
        )
