"""Which files ``verify`` may open: the paths a manifest records, checked before anything is opened (private).

A manifest is the verifier's input, and may be hostile: it could point at ``/etc/hostname``, at
``../../`` of someone's home, at ``/dev/zero`` or at a FIFO (either would never end). The rule
(``docs/formats.md``, "Paths a verifier opens"):

- an output is named by a bare file name in the draw's folder;
- an input recorded as an absolute path is never opened (the library records relative paths only);
- in a public folder (``publication.json``) or with ``--published-only``, an input whose recorded path
  leaves the folder (``..``, or a symbolic link out of it) is not opened either;
- whatever is opened, recorded or given on the command line, is a regular file (not a device, a
  FIFO, a socket or a folder) of at most ``MAX_INPUT_BYTES``; ``os.stat`` decides, which opens nothing.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ._i18n import _

__all__ = ["MAX_INPUT_BYTES", "escapes", "refused_input", "refused_output"]

#: The largest file a verifier reads (64 GiB: a national population as CSV, with room to spare).
MAX_INPUT_BYTES = 64 * 2**30


def escapes(folder: Path, path: Path) -> bool:
    """Whether ``path`` (symbolic links followed) lies outside ``folder``."""
    base = os.path.realpath(folder)
    return os.path.commonpath([os.path.realpath(path), base]) != base


def _not_regular(path: Path) -> str | None:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None  # missing: the caller names the option that gives it
    except OSError as exc:
        return _("{path} cannot be looked at ({error})").format(path=path, error=exc.strerror)
    if not stat.S_ISREG(info.st_mode):
        return _(
            "{path} is not a regular file (a folder, a device, a FIFO or a socket); verify reads only files"
        ).format(path=path)
    if info.st_size > MAX_INPUT_BYTES:
        return _("{path} holds {size:,} bytes, more than the {limit:,} a verifier reads").format(
            path=path, size=info.st_size, limit=MAX_INPUT_BYTES
        )
    return None


def refused_input(folder: Path, recorded: str, path: Path, *, given: bool, confined: bool) -> str | None:
    """Why the input at ``path`` (recorded as ``recorded``, or ``given`` on the command line) is not opened.

    ``None`` when it may be read.
    """
    if not given:
        if os.path.isabs(recorded) or Path(recorded).anchor:
            return _(
                "the manifest records the absolute path {path!r}; a verifier opens only files in the draw's "
                "folder or given on the command line"
            ).format(path=recorded)
        if confined and escapes(folder, path):
            return _(
                "the manifest records {path!r}, outside this public folder; a verifier opens only files in "
                "the folder or given on the command line"
            ).format(path=recorded)
    return _not_regular(path)


def refused_output(folder: Path, name: str) -> str | None:
    """Why the output ``name`` of a manifest is not opened; ``None`` when it may be read."""
    if name in {"", ".", ".."} or Path(name).name != name or "\\" in name:
        return _("the manifest names the output {name!r}, which is not a file name in the draw's folder").format(
            name=name
        )
    path = folder / name
    if escapes(folder, path):
        return _("{path} is a link out of the draw's folder").format(path=path)

    return _not_regular(path)
