"""The notices as HTML pages, from Jinja2 templates a bureau may replace (private module).

The templates ship in ``shuangsuiji/data/notices`` (:data:`TEMPLATES`); a bureau's folder of
templates (``--templates DIR``) replaces any of them by name. They run in Jinja2's sandbox with
autoescaping on and undefined variables refused, so a notice's text is always escaped and a
template's mistake is an :class:`~shuangsuiji.exceptions.InputError` naming the template and its
line, never a traceback. The variables a template gets are listed in ``docs/notices.md``
(:func:`page_context` builds them).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

import jinja2
import jinja2.sandbox
import pandas as pd

from ._i18n import _
from ._notice_model import Notice, NoticeProvenance, NoticeSettings
from ._notice_text import chinese_date, text_width
from .exceptions import InputError, NotFoundError

__all__ = ["TEMPLATES", "html_text", "page_context", "template_environment"]

#: The shipped templates: one per kind of notice, the page they extend, its style and its macros.
TEMPLATES: tuple[str, ...] = (
    "base.html.j2",
    "style.css.j2",
    "macros.html.j2",
    "plan.html.j2",
    "task.html.j2",
    "result.html.j2",
    "export.html.j2",
    "table.html.j2",
)
#: A table wider than this (in half-width characters at the notices' size) prints on a landscape page.
PORTRAIT_WIDTH = 100
_BLANK_DATE = "\u3000\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日"
_NUMERALS = "零一二三四五六七八九"


def _numeral(n: int) -> str:
    """Chinese numerals for heading numbers (一, 十二, 九十九); digits from 100 on."""
    if n < 10:
        return _NUMERALS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _NUMERALS[tens]) + "十" + (_NUMERALS[ones] if ones else "")
    return str(n)


def _class(column: str, kind: str) -> str:
    return {"code": "code", "date": "date", "percent": "num"}.get(kind, "num" if column == "序号" else "text")


def _weight(column: str, kind: str, values: Sequence[str]) -> int:
    """A column's share of the page: its longest cell, a header of at most 8, within 4 and 36."""
    if kind == "code":
        return max(8, min(20, max((text_width(v) for v in values), default=0) + 1))
    if kind == "date":
        return 11
    widest = max((text_width(v) for v in values[:2000]), default=0)
    return max(4, min(36, max(min(text_width(column), 8), widest)))


def _columns(notice: Notice, names: Sequence[str]) -> list[dict[str, str]]:
    weights = [5] + [_weight(c, notice.types.get(c, ""), notice.table[c].astype(str).tolist()) for c in names]
    total = sum(weights)
    cells = [("序号", "num"), *((c, _class(c, notice.types.get(c, ""))) for c in names)]
    return [
        {"name": name, "cls": cls, "width": f"{100 * w / total:.2f}%", "weight": str(w)}
        for (name, cls), w in zip(cells, weights, strict=True)
    ]


def _groups(table: pd.DataFrame, grouped: Sequence[str], shown: Sequence[str]) -> list[dict[str, Any]]:
    keys = [tuple(r) for r in table[list(grouped)].astype(str).itertuples(index=False)]
    order: dict[tuple[str, ...], list[int]] = {}
    for i, key in enumerate(keys):
        order.setdefault(key, []).append(i)
    body = table[list(shown)].astype(str).to_numpy().tolist()
    out = []
    for number, (key, rows) in enumerate(order.items(), start=1):
        fields = dict(zip(grouped, key, strict=True))
        title = fields.pop("任务名称", "") or next(iter(fields.values()), "")
        out.append(
            {
                "number": _numeral(number),
                "title": title,
                "fields": [(k, v) for k, v in fields.items() if v],
                "rows": [[str(j), *body[i]] for j, i in enumerate(rows, start=1)],
            }
        )
    return out


def page_context(
    notice: Notice, settings: NoticeSettings | None = None, provenance: NoticeProvenance | None = None
) -> dict[str, Any]:
    """The variables a notice's template gets (``docs/notices.md`` lists them)."""
    settings = settings or NoticeSettings()
    hidden = set(notice.summary) | set(notice.grouped)
    shown = [str(c) for c in notice.table.columns if c not in hidden]
    columns = _columns(notice, shown)
    groups = _groups(notice.table, notice.grouped, shown) if notice.grouped else []
    rows = (
        []
        if notice.grouped
        else [[str(i), *r] for i, r in enumerate(notice.table[shown].astype(str).to_numpy().tolist(), 1)]
    )
    wide = sum(int(c["weight"]) for c in columns) > PORTRAIT_WIDTH
    return {
        "kind": notice.kind,
        "title": notice.title,
        "info": list(notice.info),
        "columns": columns,
        "rows": rows,
        "groups": groups,
        "count": len(notice.table),
        "orientation": "landscape" if wide else "portrait",
        "bureau": settings.bureau,
        "date": chinese_date(settings.date) if settings.date else "",
        "date_iso": settings.date.isoformat() if settings.date else "",
        "blank_date": _BLANK_DATE,
        "letterhead": settings.letterhead,
        "preamble": list(settings.preamble_for(notice.kind)),
        "contact": settings.contact,
        "footer": list(provenance.lines()) if provenance is not None else [],
    }


@cache
def _shipped() -> jinja2.BaseLoader:
    return jinja2.PackageLoader("shuangsuiji", "data/notices")


@cache
def _shipped_environment() -> jinja2.Environment:
    return _environment(None)


def _environment(folder: str | None) -> jinja2.Environment:
    shipped = _shipped()
    loader = shipped if folder is None else jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder), shipped])
    env = jinja2.sandbox.SandboxedEnvironment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.globals["zip"] = zip  # pairs a row's cells with their columns' classes without a lookup per cell
    return env


def template_environment(templates: str | Path | None = None) -> jinja2.Environment:
    """The Jinja2 environment of the notices: the shipped templates, or a bureau's folder over them.

    Raises
    ------
    NotFoundError
        If ``templates`` is not a folder.
    InputError
        If none of the folder's files is named as a shipped template (:data:`TEMPLATES`).
    """
    if templates is None:
        return _shipped_environment()
    folder = Path(templates)
    if not folder.is_dir():
        raise NotFoundError(_("{folder}: no such folder of notice templates.").format(folder=folder))
    if not any((folder / name).is_file() for name in TEMPLATES):
        raise InputError(
            _(
                "{folder}: none of its files replaces a shipped notice template; name them as the shipped ones "
                "({templates}; docs/notices.md)."
            ).format(folder=folder, templates=", ".join(TEMPLATES))
        )
    return _environment(str(folder.resolve()))


def _frames(tb: TracebackType | None) -> Iterator[tuple[str, int]]:
    while tb is not None:
        yield tb.tb_frame.f_code.co_filename, tb.tb_lineno
        tb = tb.tb_next


def _where(exc: BaseException) -> str:
    """The template (file and line) an error came from."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return _("{file}, line {line}").format(file=exc.filename or exc.name or _("a notice template"), line=exc.lineno)
    inside = [(f, n) for f, n in _frames(exc.__traceback__) if f.endswith(".j2")]
    if not inside:
        return _("a notice template")
    return _("{file}, line {line}").format(file=inside[-1][0], line=inside[-1][1])


def html_text(
    notice: Notice,
    *,
    settings: NoticeSettings | None = None,
    provenance: NoticeProvenance | None = None,
    templates: str | Path | None = None,
) -> str:
    """The notice as a self-contained HTML page for screen and A4 print (escaped text, no script).

    Raises
    ------
    InputError
        For a template with a mistake (its syntax, an unknown variable, a forbidden operation),
        naming the template and the line.
    """
    env = template_environment(templates)
    name = f"{notice.kind}.html.j2"
    context = page_context(notice, settings, provenance)
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateNotFound as exc:
        raise InputError(
            _(
                "No notice template {template!r} (needed for {name}): put it in the templates folder, or include "
                "only shipped templates (docs/notices.md)."
            ).format(template=exc.name, name=name)
        ) from None
    except (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(
            _(
                "{where}: {error}. Fix the template, or remove it to use the shipped one "
                "(the variables are listed in docs/notices.md)."
            ).format(where=_where(exc), error=str(exc).rstrip("."))
        ) from None
