"""Runs that land whole or not at all (private).

A step that writes into a folder (``draw``, ``commit``, ``assign``, ``notices``, ``amend``) writes every file
into a stage of its own inside that folder, ``.shuangsuiji-partial-STEP/`` (:func:`staged_run`).
The folder itself is not touched until the run is complete. Then, in order:

1. ``JOURNAL.json`` is written into the stage (atomically): the files of the earlier run to
   remove and the files to move into place, tables first, then the run's record
   (``manifest.json``, ``assignment.json``, ``notices.json``, ``commitment.json``), then its seal.
   This is the moment the new run counts as done;
2. the journal is carried out (:func:`settle`): old files removed, new ones renamed into place,
   the stage removed.

The seal, moved in last, is the run's stamp: it names the record by its SHA-256, and the record
names the run (the seed, every input's and output's SHA-256, the library's version). A stamp with
the time would make two runs of the same draw differ, and the folder is published.

A run killed before step 1 leaves the folder as the earlier run left it, and a stage without a
journal: :func:`settle` refuses the folder until the stage is removed or the step run again with
``force`` (which removes it), so an interrupted re-run is never mistaken for a finished one. A
run killed during step 2 left a journal: :func:`settle` (called by every step that reads or writes
the folder) finishes it, so what any step sees is either the earlier run or the new one, whole.
``verify`` only reads: it fails on a folder with a stage (:func:`unsettled`) and says why.

Examples
--------
>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     with staged_run(tmp, step="demo", owned=("*.txt",)) as stage:
...         _ = (stage / "a.txt").write_text("new")
...     sorted(p.name for p in Path(tmp).iterdir())
['a.txt']
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import os
import shutil
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from pathlib import Path

from ._i18n import _
from .exceptions import FolderError
from .io import atomic_write_bytes

__all__ = ["JOURNAL", "STAGE_PREFIX", "check_settled", "settle", "stage_of", "staged_run", "unsettled"]

#: A stage's folder name is this prefix and the step.
STAGE_PREFIX = ".shuangsuiji-partial-"
#: The file in a stage that says the run is complete and what to move.
JOURNAL = "JOURNAL.json"
_STARTED = "STARTED.json"
_FORMAT = "shuangsuiji-run/1"


def stage_of(folder: str | Path, step: str) -> Path:
    """Where ``step`` stages its files for ``folder``."""
    return Path(folder) / f"{STAGE_PREFIX}{step}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _started(stage: Path) -> str:
    try:
        return str(json.loads((stage / _STARTED).read_text(encoding="utf-8"))["started"])
    except (OSError, ValueError, KeyError, TypeError):
        return _("at an unknown time")


def unsettled(folder: str | Path) -> list[str]:
    """What stages in ``folder`` say, one sentence each (empty when every run there finished).

    Read only: nothing is finished or removed (:func:`settle` does that).
    """
    path = Path(folder)
    return [_said(path, stage) for stage in _stages(path)]


#: Steps that change the folder's run rather than replace it (no ``--force``): an interrupted one is removed by hand.
_NO_FORCE = frozenset({"amend"})


def _said(folder: Path, stage: Path) -> str:
    step = stage.name[len(STAGE_PREFIX) :]
    if (stage / JOURNAL).is_file():
        return _(
            "a run of '{step}' into {folder} finished but was cut off while its files were put in place "
            "({name} holds the rest): any step that reads or writes the folder (e.g. '{step}', "
            "'report') finishes it first"
        ).format(step=step, folder=folder, name=stage.name)
    if step in _NO_FORCE:  # a change applied to the run before it: it is made again, not replaced
        said = _(
            "a run of '{step}' into {folder} (started {started}) was interrupted before it finished: "
            "the folder holds the run before it. Remove {stage}, then run '{step}' again"
        )
    else:
        said = _(
            "a run of '{step}' into {folder} (started {started}) was interrupted before it finished: "
            "the folder holds the run before it. Run '{step}' again with --force, or remove {stage} to "
            "keep the folder as it is"
        )
    return said.format(step=step, folder=folder, started=_started(stage), stage=stage)


def check_settled(folder: str | Path, *, step: str, force: bool = False) -> None:
    """Refuse, before any work, a folder with an interrupted run (of ``step`` too unless ``force``).

    Nothing is written or removed: :func:`staged_run` settles the folder when it starts writing.

    Raises
    ------
    FolderError
        Saying which run was interrupted and how to go on.
    """
    path = Path(folder)
    for stage in _stages(path):
        if not (stage / JOURNAL).is_file() and not (force and stage == stage_of(path, step)):
            raise FolderError(_("{sentence}.").format(sentence=_said(path, stage)))


def _stages(path: Path) -> list[Path]:
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if p.name.startswith(STAGE_PREFIX) and p.is_dir())


def settle(folder: str | Path, *, discard: Collection[str] = ()) -> None:
    """Finish every journaled run in ``folder``; refuse (or, for steps in ``discard``, remove) unfinished ones.

    Raises
    ------
    FolderError
        For a stage without a journal of a step not in ``discard`` (an interrupted run), or a
        journal that is not one this module wrote.
    """
    path = Path(folder)
    for stage in _stages(path):
        if (stage / JOURNAL).is_file():
            _carry_out(path, stage)
        elif stage.name[len(STAGE_PREFIX) :] in discard:
            shutil.rmtree(stage)
        else:
            raise FolderError(_("{sentence}.").format(sentence=_said(path, stage)))


def _carry_out(folder: Path, stage: Path) -> None:
    try:
        journal = json.loads((stage / JOURNAL).read_text(encoding="utf-8"))
        ok = journal.get("format") == _FORMAT and all(
            isinstance(journal.get(k), list) and all(isinstance(n, str) and _bare(n) for n in journal[k])
            for k in ("remove", "move")
        )
    except (OSError, ValueError, AttributeError):
        ok = False
    if not ok:
        raise FolderError(
            _("{journal} is not a journal shuangsuiji wrote: remove {stage} and run the step again.").format(
                journal=stage / JOURNAL, stage=stage
            )
        )
    for name in journal["remove"]:
        (folder / name).unlink(missing_ok=True)
    for name in journal["move"]:
        if (stage / name).is_file():
            os.replace(stage / name, folder / name)
    shutil.rmtree(stage)


def _bare(name: str) -> bool:
    return bool(name) and name not in {".", ".."} and "/" not in name and "\\" not in name and "\0" not in name


def _order(name: str, names: Collection[str]) -> tuple[int, str]:
    """Tables first, then records (a ``.json`` sealed by a ``.sha256``), then seals: the run's stamp."""
    if name.endswith(".sha256"):
        return (2, name)
    if name.endswith(".json") and name[: -len(".json")] + ".sha256" in names:
        return (1, name)
    return (0, name)


@contextmanager
def staged_run(folder: str | Path, *, step: str, owned: Collection[str], force: bool = False) -> Iterator[Path]:
    """Stage the files of a run of ``step`` and put them into ``folder`` only once it completes.

    Yields the stage folder to write into (relative paths a record names stay relative to
    ``folder``: the caller computes them there). On a clean exit, the files of ``folder`` that
    match ``owned`` (``*`` globs) and that the run did not write again are removed and the new
    ones moved in (see the module's docstring); on an exception the stage is removed and the folder
    is left as it was.

    Raises
    ------
    FolderError
        For an interrupted earlier run of ``step`` in ``folder`` without ``force`` (:func:`settle`);
        for a stage holding a subfolder (a step stages files only).
    """
    path = Path(folder)
    settle(path, discard=(step,) if force else ())
    stage = stage_of(path, step)
    stage.mkdir(parents=True)
    started = _now()
    atomic_write_bytes(stage / _STARTED, json.dumps({"step": step, "started": started}).encode())
    try:
        yield stage
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    (stage / _STARTED).unlink()
    written = sorted(p.name for p in stage.iterdir())
    if any((stage / n).is_dir() for n in written):
        shutil.rmtree(stage)
        raise FolderError(
            _("{stage}: a step stages files only").format(stage=stage)
        )  # the library's own steps never do this
    stale = [
        p.name
        for p in sorted(path.iterdir())
        if p.is_file() and p.name not in written and any(fnmatch.fnmatchcase(p.name, n) for n in owned)
    ]
    journal = {"format": _FORMAT, "remove": stale, "move": sorted(written, key=lambda n: _order(n, written))}
    atomic_write_bytes(stage / JOURNAL, json.dumps(journal, ensure_ascii=False).encode())
    _carry_out(path, stage)
