"""The report's CJK font and matplotlib settings (private to :mod:`shuangsuiji.report`).

matplotlib knows the fonts listed in its font cache (``fontlist-v*.json`` in its config folder),
built the first time it ran: a font installed after that (``apt install fonts-noto-cjk`` on a
machine that already drew a chart) is missing from the list until the cache is rebuilt. So when
the list holds no CJK font, :func:`cjk_font` looks for CJK font files on the system by their
file names and registers them (``font_manager.fontManager.addfont``, for this process only; the
cache on disk is left as it is).

The settings the report's figures need (that font first, text drawn as text) are returned as a
dict for ``matplotlib.rc_context``, never written to the global ``rcParams``: a session's own
plots keep their settings and their backend.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matplotlib import font_manager

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = ["cjk_font", "figure_style"]

#: Font families that draw Chinese, the first found is used (sans-serif before serif).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
    "Source Han Sans",
    "Noto Serif CJK SC",
    "Source Han Serif SC",
    "SimSun",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)

#: File names of CJK fonts (Noto CJK, Source Han, WenQuanYi, SimHei, Microsoft YaHei, PingFang, AR PL ...).
_CJK_FILE = re.compile(
    r"^(Noto(Sans|Serif)(Mono)?CJK|Noto(Sans|Serif)(SC|TC|JP)|SourceHan(Sans|Serif)|wqy-|simhei|simsun|msyh"
    r"|PingFang|Hiragino ?Sans ?GB|uming|ukai|DroidSansFallback)",
    re.IGNORECASE,
)


def _listed() -> str | None:
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in CJK_FAMILIES if n in names), None)


@cache
def _system_cjk_files() -> tuple[str, ...]:
    """The CJK font files installed on the system (searched once per process)."""
    return tuple(sorted(p for p in font_manager.findSystemFonts() if _CJK_FILE.match(Path(p).name)))


def _add_system_fonts() -> list[str]:
    """Register the system's CJK font files matplotlib's list lacks; returns the family names added."""
    manager = font_manager.fontManager
    known = {f.fname for f in manager.ttflist}
    added: list[str] = []
    for path in _system_cjk_files():
        if path in known:
            continue
        before = len(manager.ttflist)
        try:
            manager.addfont(path)
        except (OSError, RuntimeError, ValueError):  # a file FreeType cannot read: skip it
            continue
        added.extend(f.name for f in manager.ttflist[before:])
    return added


def cjk_font() -> str | None:
    """The name of a font that draws Chinese, or ``None`` when the machine has none.

    A font in matplotlib's font list first; else the CJK font files on the system, registered for this
    process (so a font installed after matplotlib built its font cache is found all the same).

    Returns
    -------
    str or None
        A font family name, such as ``"Noto Sans CJK SC"``.
    """
    found = _listed()
    if found is not None:
        return found
    added = _add_system_fonts()
    found = _listed()
    if found is not None:
        return found
    sans = [name for name in added if "Sans" in name and "Mono" not in name]
    return next(iter(sans or added), None)


def figure_style(font: str | None) -> dict[RcKeyType, Any]:
    """The settings of the report's figures, for ``matplotlib.rc_context`` (the global ``rcParams`` untouched).

    Text from the inputs (stratum values, region codes) is drawn as text, never as TeX-like mathtext
    (``$...$``); with a CJK font, that font comes first and the minus sign is a hyphen (CJK fonts lack ``−``).
    """
    style: dict[RcKeyType, Any] = {"text.parse_math": False, "text.usetex": False}
    if font is not None:
        style |= {"font.family": ["sans-serif"], "font.sans-serif": [font, "DejaVu Sans"], "axes.unicode_minus": False}
    return style
