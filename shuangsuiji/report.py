"""A self-contained HTML report of a draw (and its assignment), with PNG figures.

``shuangsuiji report DIR`` reads a draw's folder and writes ``report.html`` (figures embedded,
no network) and the figures as PNG files beside it:

1. allocation by stratum against each task's floor;
2. inclusion probability by credit class;
3. overlap between the departments' draws (what "一次多查" saved);
4. officers' loads (with an assignment);
5. visits per working day of the window (with dates);
6. exclusions by reason;

and, when ``shuangsuiji capacity`` wrote ``capacity.csv`` into the draw's folder, the roster change
that staffs every visit (a table of the groups that need one).

Chinese labels need a CJK font (Noto Sans CJK, WenQuanYi, SimHei, Microsoft YaHei...); without
one the report says so and labels its figures in English only.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure

from .exceptions import NotFoundError
from .io import atomic_write_bytes
from .manifest import Manifest
from .yearstatus import YearStatus

__all__ = ["cjk_font", "write_report", "write_year_report"]

_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)


def cjk_font() -> str | None:
    """The name of an installed font that draws Chinese, or ``None``."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in _CJK_FONTS if n in names), None)


def _text_as_text() -> contextlib.AbstractContextManager[None]:
    """Text from the inputs (stratum values, region codes) drawn as text, never as TeX-like mathtext ($...$).

    For the report's figures only, so an analyst's own plots in the same session keep matplotlib's defaults.
    """
    return plt.rc_context({"text.parse_math": False, "text.usetex": False})


class _Labels:
    """Labels in Chinese and English when a CJK font is installed (figures then use it), else in English."""

    def __init__(self) -> None:
        self.font = cjk_font()
        if self.font:
            plt.rcParams["font.sans-serif"] = [self.font, *plt.rcParams["font.sans-serif"]]
            plt.rcParams["axes.unicode_minus"] = False

    def __call__(self, zh: str, en: str) -> str:
        return f"{zh} {en}" if self.font else en


def _read(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / name
    if not path.exists():
        return None
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # glyph warnings when no CJK font is installed
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _embedded(path: Path, fig: Figure, alt: str, key: str | None = None) -> str:
    """Write the figure as PNG to ``path`` and return it as an HTML figure (the image inline)."""
    data = _png(fig)
    atomic_write_bytes(path, data)
    uri = "data:image/png;base64," + base64.b64encode(data).decode()
    text = html.escape(alt)
    where = f' id="{key}"' if key else ""
    return f'<figure{where}><img src="{uri}" alt="{text}"><figcaption>{text}</figcaption></figure>'


def _html(title: str, body: str) -> str:
    """A self-contained page: no script, no link out."""
    return (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2rem auto;"
        "max-width:70rem}img{max-width:100%}table{border-collapse:collapse}th,td{border:1px solid #bbb;"
        "padding:.2rem .5rem}figure{margin:2rem 0}</style></head><body>" + body + "</body></html>\n"
    )


@dataclass(frozen=True)
class _Tables:
    """A draw's published tables (and its assignment's, when there is one)."""

    manifest: Manifest
    allocation: pd.DataFrame
    selection: pd.DataFrame
    excluded: pd.DataFrame
    summary: pd.DataFrame
    visits: pd.DataFrame | None
    workload: pd.DataFrame | None

    @classmethod
    def read(cls, folder: Path) -> _Tables:
        def need(name: str) -> pd.DataFrame:
            frame = _read(folder, name)
            if frame is None:
                raise NotFoundError(f"{folder} is not a draw's folder: it has no {name}.")
            return frame

        return cls(
            manifest=Manifest.read(folder),
            allocation=need("allocation.csv"),
            selection=need("selection.csv"),
            excluded=need("excluded.csv"),
            summary=need("summary.csv"),
            visits=_read(folder, "visits.csv"),
            workload=_read(folder, "workload.csv"),
        )


@dataclass(frozen=True)
class _Figure:
    key: str
    alt: str
    make: Callable[[], Figure]


def _allocation_figure(t: _Tables, label: _Labels) -> _Figure:
    def make() -> Figure:
        tasks = list(dict.fromkeys(t.allocation["task_id"]))
        fig, axes = plt.subplots(1, len(tasks), figsize=(4.2 * len(tasks), 4.2), squeeze=False)
        for ax, task in zip(axes[0], tasks, strict=True):
            rows = t.allocation[t.allocation["task_id"] == task].copy()
            rows["sample"] = rows["sample"].astype(int)
            rows = rows.sort_values("sample", ascending=False).head(12)
            ax.barh(rows["stratum"].str.replace("credit_class=", "", regex=False), rows["sample"], color="#4c78a8")
            ax.invert_yaxis()
            s = t.summary.set_index("task_id").loc[task]
            ax.set_title(f"{task}: n={s['sample']}, {label('底线', 'floor')} {s['floor_target']}", fontsize=9)
            ax.set_xlabel(label("抽取数", "entities drawn"), fontsize=8)
            ax.tick_params(labelsize=7)
        fig.suptitle(label("各层抽样数与底线", "Allocation by stratum against the floor"))
        return fig

    alt = (
        "Bar charts, one per task, of entities drawn in each stratum, titled with "
        "the task's sample size and its floor target."
    )
    return _Figure("allocation", alt, make)


def _inclusion_figure(t: _Tables, label: _Labels) -> _Figure:
    def make() -> Figure:
        rows = t.allocation.copy()
        rows["cls"] = rows["stratum"].str.extract(r"credit_class=([A-Z])")[0]
        rows = rows.dropna(subset=["cls"])
        rows[["population", "sample"]] = rows[["population", "sample"]].astype(int)
        table = rows.groupby(["cls", "task_id"])[["sample", "population"]].sum()
        share = (table["sample"] / table["population"].where(table["population"] > 0)).rename("p").reset_index()
        prob = share.pivot_table(index="cls", columns="task_id", values="p", fill_value=0)
        fig, ax = plt.subplots(figsize=(7, 4))
        prob.plot.bar(ax=ax, rot=0)
        ax.set_xlabel(label("信用风险分类", "credit-risk class"))
        ax.set_ylabel(label("入选概率", "inclusion probability"))
        ax.set_title(label("按信用风险分类的入选概率", "Inclusion probability by credit class"))
        return fig

    alt = (
        "Grouped bars of the inclusion probability of credit classes A to D in each "
        "task: higher-risk classes are drawn more often."
    )
    return _Figure("inclusion", alt, make)


def _overlap_figure(t: _Tables, label: _Labels) -> _Figure:
    def make() -> Figure:
        per_entity = t.selection.groupby("uscc")["department"].nunique().value_counts().sort_index()
        fig, ax = plt.subplots(figsize=(6, 3.6))
        ax.bar([str(k) for k in per_entity.index], per_entity.to_numpy(), color="#f58518")
        saved = len(t.selection) - t.selection["uscc"].nunique()
        ax.set_xlabel(label("同一企业被抽中的部门数", "departments drawing the same entity"))
        ax.set_ylabel(label("企业数", "entities"))
        ax.set_title(label(f"一次多查:合并后少进门 {saved:,} 次", f"Joint visits save {saved:,} visits"))
        return fig

    alt = (
        "Bars counting the entities drawn by one, two or more departments; the title gives "
        "the visits saved by inspecting each entity once."
    )
    return _Figure("overlap", alt, make)


def _load_figure(t: _Tables, label: _Labels) -> _Figure | None:
    if t.workload is None:
        return None
    loads = t.workload[t.workload["kind"] == "officer"]["visits"].astype(int)

    def make() -> Figure:
        fig, ax = plt.subplots(figsize=(6, 3.6))
        ax.hist(loads, bins=min(30, max(5, loads.nunique())), color="#54a24b")
        ax.set_xlabel(label("每名执法人员的检查次数", "visits per officer"))
        ax.set_ylabel(label("人数", "officers"))
        ax.set_title(label("执法人员工作量", "Officers' loads") + f" (median {int(loads.median())})")
        return fig

    alt = f"Histogram of officers' visits: {len(loads)} officers, median {int(loads.median())}, maximum {loads.max()}."
    return _Figure("loads", alt, make)


def _day_figure(t: _Tables, label: _Labels) -> _Figure | None:
    if t.visits is None or not (t.visits["date"] != "").any():
        return None
    per_day = t.visits[t.visits["date"] != ""].groupby("date").size()

    def make() -> Figure:
        fig, ax = plt.subplots(figsize=(8, 3.4))
        ax.bar(per_day.index, per_day.to_numpy(), color="#72b7b2")
        ax.set_ylabel(label("检查次数", "visits"))
        ax.set_title(label("窗口内每个工作日的检查", "Visits per working day of the window"))
        ax.tick_params(axis="x", labelrotation=90, labelsize=7)
        return fig

    alt = f"Bars of visits on each of {len(per_day)} working days, from {per_day.min()} to {per_day.max()} a day."
    return _Figure("days", alt, make)


def _exclusion_figure(t: _Tables, label: _Labels) -> _Figure:
    def make() -> Figure:
        fig, ax = plt.subplots(figsize=(6, 3.6))
        if len(t.excluded):
            counts = t.excluded.groupby(["task_id", "reason"]).size().rename("n").reset_index()
            counts.pivot_table(index="task_id", columns="reason", values="n", fill_value=0).plot.bar(
                ax=ax, stacked=True, rot=0
            )
        ax.set_ylabel(label("排除的企业", "entities excluded"))
        ax.set_title(label("按原因的排除", "Exclusions by reason"))
        return fig

    alt = "Stacked bars of excluded entities per task by reason (status, cool-down, annual cap)."
    return _Figure("exclusions", alt, make)


#: The report's figures, in page order (a figure whose tables are absent is left out).
_FIGURES: tuple[Callable[[_Tables, _Labels], _Figure | None], ...] = (
    _allocation_figure,
    _inclusion_figure,
    _overlap_figure,
    _load_figure,
    _day_figure,
    _exclusion_figure,
)


def _page(t: _Tables, blocks: list[str], label: _Labels) -> str:
    note = (
        ""
        if label.font
        else (
            "<p><strong>No CJK font was found</strong>: figures are labelled in English only. Install one "
            "(Debian: fonts-noto-cjk) for Chinese labels.</p>"
        )
    )
    plan, m = t.manifest.plan, t.manifest
    table = t.summary[["task_id", "department", "eligible", "excluded", "sample", "floor_target", "floor_binding"]]
    return _html(
        f"{plan.get('id', '')} report",
        f"<h1>{html.escape(str(plan.get('title', plan.get('id', ''))))}</h1>"
        f"<p>Seed ({html.escape(m.seed_record.mode)}): <code>{m.seed}</code>; "
        f"{m.population.rows:,} entities.</p>{note}" + table.to_html(index=False, escape=True) + "".join(blocks),
    )


#: The columns of ``capacity.csv`` the report shows.
_CAPACITY_SHOWN = (
    "region",
    "department",
    "teams",
    "unstaffed_teams",
    "officers",
    "add_officers",
    "add_leads",
    "certificates",
    "capacity_each",
    "cross_station_teams",
    "reason",
)


def _capacity_section(folder: Path, label: _Labels) -> str:
    """The roster change in ``capacity.csv`` (``shuangsuiji capacity``), if the draw's folder holds one."""
    frame = _read(folder, "capacity.csv")
    if frame is None:
        return ""
    title = f"<h2>{html.escape(label('人员缺口', 'Roster change'))} (capacity.csv)</h2>"
    if not set(_CAPACITY_SHOWN) <= set(frame.columns):
        return f'<section id="capacity">{title}{frame.to_html(index=False, escape=True)}</section>'
    numbers = ("unstaffed_teams", "add_officers", "add_leads", "cross_station_teams")
    count = {c: pd.to_numeric(frame[c], errors="coerce").fillna(0).astype(int) for c in numbers}
    short = frame[(count["add_officers"] > 0) | (count["unstaffed_teams"] > 0)]
    total = (
        f"add {count['add_officers'].sum():,} people, {count['add_leads'].sum():,} of them leads (主检), "
        f"in {int((count['add_officers'] > 0).sum())} of {len(frame)} groups"
    )
    cross = int(count["cross_station_teams"].sum())
    text = (
        f"<p>Computed by <code>shuangsuiji capacity</code> for the roster it was given: {html.escape(total)}"
        + (
            f"; cross-station mode (所所交叉) leaves {cross:,} teams unstaffed that would be staffed without it"
            if cross
            else ""
        )
        + ". It describes that roster: once the change is applied, run it again with the amended one.</p>"
    )
    table = (
        short[list(_CAPACITY_SHOWN)].to_html(index=False, escape=True)
        if len(short)
        else "<p>No change: the roster staffs every team.</p>"
    )
    return f'<section id="capacity">{title}{text}{table}</section>'


def write_report(draw_dir: str | Path, out_dir: str | Path) -> Path:
    """Write ``report.html`` and its PNG figures for the draw in ``draw_dir``; returns the HTML path.

    Raises
    ------
    NotFoundError
        If ``draw_dir`` is not a draw's folder.
    """
    folder, out = Path(draw_dir), Path(out_dir)
    tables = _Tables.read(folder)
    out.mkdir(parents=True, exist_ok=True)
    label = _Labels()
    with _text_as_text():
        blocks = [
            _embedded(out / f"{figure.key}.png", figure.make(), figure.alt, figure.key)
            for figure in (f(tables, label) for f in _FIGURES)
            if figure is not None
        ]
    blocks.append(_capacity_section(folder, label))
    path = out / "report.html"
    atomic_write_bytes(path, _page(tables, blocks, label).encode("utf-8"))
    return path


def _coverage_figure(status: YearStatus, label: _Labels) -> Figure:
    """Coverage of each general task's base after each batch, against the part of the target due."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    progress = status.progress
    for task_id, rows in progress.groupby("task_id", sort=False):
        line = ax.plot(
            rows["batch"], rows["drawn_share"] * 100, marker="o", label=f"{task_id} {label('抽取', 'drawn')}"
        )
        colour = line[0].get_color()
        ax.plot(
            rows["batch"],
            rows["done_share"] * 100,
            linestyle=":",
            color=colour,
            label=f"{task_id} {label('完成', 'done')}",
        )
        due = rows["due"].astype(float) / rows["base"].astype(float) * 100
        ax.plot(rows["batch"], due, linestyle="--", color=colour, alpha=0.5)
    ax.axhline(float(status.year.target) * 100, color="black", linewidth=1, label=label("年度目标", "year target"))
    ax.set_xlabel(label("批次", "batch"))
    ax.set_ylabel(label("占基数 %", "% of base"))
    ax.set_title(label("一般事项抽查比例", "general-item coverage") + f" {status.year.id}")
    ax.legend(fontsize="small", ncol=2)
    ax.grid(alpha=0.3)
    return fig


def write_year_report(status: YearStatus, out_dir: str | Path) -> Path:
    """Write ``year-status.html`` (tables and the coverage chart over the batches) and ``year-coverage.png``.

    The chart needs the base (a status computed with the population); without it the page has the tables only.
    """
    out = Path(out_dir)
    label = _Labels()
    figure = ""
    if len(status.progress) and status.progress["base"].notna().all():
        alt = label("一般事项抽查比例，逐批", "coverage of the general items over the batches")
        with _text_as_text():
            figure = _embedded(out / "year-coverage.png", _coverage_figure(status, label), alt)
    title = f"{status.year.id} {label('年度抽查进度', 'year status')}"
    page = _html(
        title,
        f"<h1>{html.escape(title)}</h1><p>{html.escape(label('目标', 'target'))}: {float(status.year.target):.1%}</p>"
        + status.tasks.to_html(index=False, escape=True, na_rep="")
        + figure
        + status.batches.to_html(index=False, escape=True),
    )
    path = out / "year-status.html"
    atomic_write_bytes(path, page.encode("utf-8"))
    return path
