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

The page is a published file: its words are Chinese (English beside), whatever the locale. Every
table has a Chinese header row and a caption, every figure a caption saying what it shows.

Chinese labels need a CJK font (Noto Sans CJK, WenQuanYi, SimHei, Microsoft YaHei...), found even
when it was installed after matplotlib built its font cache (:func:`cjk_font`); without one the
report says so and labels its figures in English only. The report leaves matplotlib as it found it:
it never changes the backend (its figures are drawn on their own Agg canvas, outside pyplot) and
sets its fonts only inside ``matplotlib.rc_context``, so a notebook's own plots still show.
"""

from __future__ import annotations

import base64
import html
import io
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._i18n import _
from ._progress import tracked
from ._report_fonts import cjk_font, figure_style
from ._report_tables import capacity_section, html_table, read_table
from .exceptions import NotFoundError
from .io import atomic_write_bytes
from .manifest import Manifest
from .yearstatus import YearStatus

__all__ = ["cjk_font", "write_report", "write_year_report"]


class _Labels:
    """Labels in Chinese and English when a CJK font is installed (figures then use it), else in English."""

    def __init__(self) -> None:
        self.font = cjk_font()

    def __call__(self, zh: str, en: str) -> str:
        return f"{zh} {en}" if self.font else en

    @contextmanager
    def style(self) -> Iterator[None]:
        """The figures' settings (the font, text as text) for what is drawn inside; matplotlib's own kept."""
        with mpl.rc_context(figure_style(self.font)):
            yield


def _axes(figsize: tuple[float, float], ncols: int = 1) -> tuple[Figure, list[Axes]]:
    """A figure on its own Agg canvas (never pyplot's: no backend is chosen, no window or notebook cell is fed)."""
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig, list(fig.subplots(1, ncols, squeeze=False)[0])


def _png(fig: Figure, label: _Labels) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        if label.font is None:  # Chinese values (names, departments) cannot be drawn: said on the page instead
            warnings.filterwarnings("ignore", message=r"Glyph .* missing from")
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


@dataclass(frozen=True)
class _Figure:
    key: str
    alt: str  # what the figure shows, in English (the image's alt text)
    caption: str  # what it means, in Chinese (the terms of docs/glossary.md)
    make: Callable[[], Figure]


def _embedded(path: Path, figure: _Figure, label: _Labels, key: bool = True) -> str:
    """Draw the figure, write it as PNG to ``path`` and return it as an HTML figure (the image inline, captioned)."""
    with label.style():
        data = _png(figure.make(), label)
    atomic_write_bytes(path, data)
    uri = "data:image/png;base64," + base64.b64encode(data).decode()
    alt = html.escape(figure.alt)
    where = f' id="{figure.key}"' if key else ""
    return (
        f'<figure{where}><img src="{uri}" alt="{alt}"><figcaption><p>{html.escape(figure.caption)}</p>'
        f'<p lang="en">{alt}</p></figcaption></figure>'
    )


def _html(title: str, body: str) -> str:
    """A self-contained page: no script, no link out."""
    return (
        '<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title>"
        "<style>body{font-family:system-ui,'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:2rem auto;"
        "max-width:70rem}img{max-width:100%}table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #bbb;"
        "padding:.2rem .5rem}th small{font-weight:normal;color:#555}caption{caption-side:bottom;text-align:left;"
        "color:#333;padding-top:.3rem}figure{margin:2rem 0}figcaption p{margin:.2rem 0}"
        "[lang=en]{color:#555}</style></head><body>" + body + "</body></html>\n"
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
            frame = read_table(folder, name)
            if frame is None:
                raise NotFoundError(f"{folder} is not a draw's folder: it has no {name}.")
            return frame

        return cls(
            manifest=Manifest.read(folder),
            allocation=need("allocation.csv"),
            selection=need("selection.csv"),
            excluded=need("excluded.csv"),
            summary=need("summary.csv"),
            visits=read_table(folder, "visits.csv"),
            workload=read_table(folder, "workload.csv"),
        )


def _bars(ax: Axes, table: pd.DataFrame, stacked: bool) -> None:
    """Bars of a table's columns over its index: side by side, or stacked (with a legend of the columns)."""
    x = np.arange(len(table.index))
    width = 0.8 if stacked else 0.8 / max(1, len(table.columns))
    bottom = np.zeros(len(table.index))
    for i, column in enumerate(table.columns):
        values = table[column].to_numpy(dtype=float)
        offset = 0.0 if stacked else (i - (len(table.columns) - 1) / 2) * width
        ax.bar(x + offset, values, width, bottom=bottom if stacked else None, label=str(column))
        bottom = bottom + values
    ax.set_xticks(x, [str(i) for i in table.index])
    if len(table.columns):
        ax.legend(fontsize="small")


def _allocation_figure(t: _Tables, label: _Labels) -> _Figure:
    def make() -> Figure:
        tasks = list(dict.fromkeys(t.allocation["task_id"]))
        fig, axes = _axes((4.2 * len(tasks), 4.2), len(tasks))
        for ax, task in zip(axes, tasks, strict=True):
            rows = t.allocation[t.allocation["task_id"] == task].copy()
            rows["sample"] = rows["sample"].astype(int)
            rows = rows.sort_values("sample", ascending=False).head(12)
            ax.barh(rows["stratum"].str.replace("credit_class=", "", regex=False), rows["sample"], color="#4c78a8")
            ax.invert_yaxis()
            s = t.summary.set_index("task_id").loc[task]
            ax.set_title(f"{task}: n={s['sample']}, {label('保底数', 'floor')} {s['floor_target']}", fontsize=9)
            ax.set_xlabel(label("抽取数", "entities drawn"), fontsize=8)
            ax.tick_params(labelsize=7)
        fig.suptitle(label("各层抽取数与保底数", "Allocation by stratum against the floor"))
        return fig

    alt = (
        "Bar charts, one per task, of entities drawn in each stratum, titled with "
        "the task's sample size and its floor target."
    )
    caption = (
        "每个抽查任务在各层(按信用风险分类等分层)抽取的检查对象数，每图最多列 12 层。"
        "标题给出任务的抽取数 n 与保底数:抽取数不低于保底数。"
    )
    return _Figure("allocation", alt, caption, make)


def _inclusion_figure(t: _Tables, label: _Labels) -> _Figure:
    def make() -> Figure:
        rows = t.allocation.copy()
        rows["cls"] = rows["stratum"].str.extract(r"credit_class=([A-Z])")[0]
        rows = rows.dropna(subset=["cls"])
        rows[["population", "sample"]] = rows[["population", "sample"]].astype(int)
        table = rows.groupby(["cls", "task_id"])[["sample", "population"]].sum()
        share = (table["sample"] / table["population"].where(table["population"] > 0)).rename("p").reset_index()
        prob = share.pivot_table(index="cls", columns="task_id", values="p", fill_value=0)
        fig, (ax,) = _axes((7, 4))
        _bars(ax, prob, stacked=False)
        ax.set_xlabel(label("信用风险分类", "credit-risk class"))
        ax.set_ylabel(label("入选概率", "inclusion probability"))
        ax.set_title(label("按信用风险分类的入选概率", "Inclusion probability by credit class"))
        return fig

    alt = (
        "Grouped bars of the inclusion probability of credit classes A to D in each "
        "task: higher-risk classes are drawn more often."
    )
    caption = (
        "各抽查任务中每个信用风险分类(A/B/C/D)的检查对象被抽中的概率(抽取数除以对象数)。"
        "抽查比例和频次按类别差异化：风险越高的类别，被抽中的机会越大。"
    )
    return _Figure("inclusion", alt, caption, make)


def _overlap_figure(t: _Tables, label: _Labels) -> _Figure:
    def make() -> Figure:
        per_entity = t.selection.groupby("uscc")["department"].nunique().value_counts().sort_index()
        fig, (ax,) = _axes((6, 3.6))
        ax.bar([str(k) for k in per_entity.index], per_entity.to_numpy(), color="#f58518")
        saved = len(t.selection) - t.selection["uscc"].nunique()
        ax.set_xlabel(label("同一对象被抽中的部门数", "departments drawing the same entity"))
        ax.set_ylabel(label("对象数", "entities"))
        ax.set_title(label(f"一次多查:合并后少进门 {saved:,} 次", f"Joint visits save {saved:,} visits"))
        return fig

    alt = (
        "Bars counting the entities drawn by one, two or more departments; the title gives "
        "the visits saved by inspecting each entity once."
    )
    caption = (
        "检查对象被几个部门同时抽中。被两个及以上部门抽中的对象一次多查(联合抽查),各部门一起只进门一次;"
        "标题给出因此少进门的次数。"
    )
    return _Figure("overlap", alt, caption, make)


def _load_figure(t: _Tables, label: _Labels) -> _Figure | None:
    if t.workload is None:
        return None
    loads = t.workload[t.workload["kind"] == "officer"]["visits"].astype(int)

    def make() -> Figure:
        fig, (ax,) = _axes((6, 3.6))
        ax.hist(loads, bins=min(30, max(5, loads.nunique())), color="#54a24b")
        ax.set_xlabel(label("每名执法检查人员的检查次数", "visits per officer"))
        ax.set_ylabel(label("人数", "officers"))
        ax.set_title(label("执法检查人员工作量", "Officers' loads") + f" (median {int(loads.median())})")
        return fig

    alt = f"Histogram of officers' visits: {len(loads)} officers, median {int(loads.median())}, maximum {loads.max()}."
    caption = (
        f"派员后每名执法检查人员参加的检查次数:共 {len(loads)} 人，中位数 {int(loads.median())} 次，"
        f"最多 {loads.max()} 次。分布越集中，工作量越均衡。"
    )
    return _Figure("loads", alt, caption, make)


def _day_figure(t: _Tables, label: _Labels) -> _Figure | None:
    if t.visits is None or not (t.visits["date"] != "").any():
        return None
    per_day = t.visits[t.visits["date"] != ""].groupby("date").size()

    def make() -> Figure:
        fig, (ax,) = _axes((8, 3.4))
        ax.bar(per_day.index, per_day.to_numpy(), color="#72b7b2")
        ax.set_ylabel(label("检查次数", "visits"))
        ax.set_title(label("检查时间内每个工作日的检查", "Visits per working day of the window"))
        ax.tick_params(axis="x", labelrotation=90, labelsize=7)
        return fig

    alt = f"Bars of visits on each of {len(per_day)} working days, from {per_day.min()} to {per_day.max()} a day."
    caption = f"检查时间内 {len(per_day)} 个工作日每天安排的检查次数(每天 {per_day.min()} 到 {per_day.max()} 次)。"
    return _Figure("days", alt, caption, make)


#: The exclusion reasons (``shuangsuiji.exclusions.REASONS``) in Chinese, for the figure's legend.
_REASONS_ZH = {
    "status": "登记状态",
    "cooldown": "冷却期",
    "annual_cap": "年度上限",
    "drawn_this_year": "本年已抽取",
    "year_cap": "本年上限",
    "department_cap": "部门上限",
}


def _exclusion_figure(t: _Tables, label: _Labels) -> _Figure:
    def make() -> Figure:
        fig, (ax,) = _axes((6, 3.6))
        if len(t.excluded):
            counts = t.excluded.groupby(["task_id", "reason"]).size().rename("n").reset_index()
            counts["reason"] = [label(_REASONS_ZH.get(r, ""), r).strip() for r in counts["reason"]]
            _bars(ax, counts.pivot_table(index="task_id", columns="reason", values="n", fill_value=0), stacked=True)
        ax.set_ylabel(label("排除的对象", "entities excluded"))
        ax.set_title(label("按原因的排除", "Exclusions by reason"))
        return fig

    alt = "Stacked bars of excluded entities per task by reason (status, cool-down, annual cap)."
    caption = (
        "各抽查任务中不参与抽取的检查对象，按排除原因(登记状态非存续 status、冷却期 cool-down、年度上限 annual cap)"
        "分段;每个对象的说明见 excluded.csv。"
    )
    return _Figure("exclusions", alt, caption, make)


#: The report's figures, in page order (a figure whose tables are absent is left out).
_FIGURES: tuple[Callable[[_Tables, _Labels], _Figure | None], ...] = (
    _allocation_figure,
    _inclusion_figure,
    _overlap_figure,
    _load_figure,
    _day_figure,
    _exclusion_figure,
)

#: The summary's columns the report shows, and what the table says.
_SUMMARY_SHOWN = ("task_id", "department", "eligible", "excluded", "sample", "floor_target", "floor_binding")
_SUMMARY_CAPTION = (
    "各抽查任务：可抽取的检查对象数(排除之后)、排除数、抽取数与保底数;“保底起作用”为“是”时，"
    "抽取数由保底数而非抽查比例决定。Each task's eligible, excluded and drawn entities against its floor."
)


def _font_note(label: _Labels) -> str:
    if label.font:
        return f"<p>图表字体 Figure font: {html.escape(label.font)}</p>"
    return (
        "<p><strong>未找到中文字体 No CJK font was found</strong>: figures are labelled in English only. "
        "请安装中文字体 Install one (Debian: fonts-noto-cjk) for Chinese labels.</p>"
    )


def _page(t: _Tables, blocks: list[str], label: _Labels) -> str:
    plan, m = t.manifest.plan, t.manifest
    title = str(plan.get("title", plan.get("id", "")))
    return _html(
        f"{plan.get('id', '')} 抽查报告 report",
        f"<h1>{html.escape(title)}</h1>"
        f"<p>随机种子 Seed ({html.escape(m.seed_record.mode)}): <code>{m.seed}</code>;"
        f"检查对象名录库 {m.population.rows:,} 户 entities.</p>{_font_note(label)}"
        + html_table(t.summary, _SUMMARY_CAPTION, _SUMMARY_SHOWN)
        + "".join(blocks),
    )


def write_report(draw_dir: str | Path, out_dir: str | Path) -> Path:
    """Write ``report.html`` and its PNG figures for the draw in ``draw_dir``; returns the HTML path.

    matplotlib's backend and ``rcParams`` are left as they were (see the module's notes).

    Raises
    ------
    NotFoundError
        If ``draw_dir`` is not a draw's folder.
    """
    folder, out = Path(draw_dir), Path(out_dir)
    tables = _Tables.read(folder)
    out.mkdir(parents=True, exist_ok=True)
    label = _Labels()
    blocks = [
        _embedded(out / f"{figure.key}.png", figure, label)
        for figure in (f(tables, label) for f in tracked(_FIGURES, _("drawing the report's figures")))
        if figure is not None
    ]
    blocks.append(capacity_section(folder))
    path = out / "report.html"
    atomic_write_bytes(path, _page(tables, blocks, label).encode("utf-8"))
    return path


def _coverage_figure(status: YearStatus, label: _Labels) -> Figure:
    """Coverage of each general task's base after each batch, against the part of the target due."""
    fig, (ax,) = _axes((8, 4.5))
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
            label=f"{task_id} {label('已检查', 'done')}",
        )
        due = rows["due"].astype(float) / rows["base"].astype(float) * 100
        ax.plot(rows["batch"], due, linestyle="--", color=colour, alpha=0.5)
    ax.axhline(float(status.year.target) * 100, color="black", linewidth=1, label=label("年度目标", "year target"))
    ax.set_xlabel(label("抽查批次", "batch"))
    ax.set_ylabel(label("占基数", "% of base"))
    ax.set_title(label("一般检查事项抽查比例", "general-item coverage") + f" {status.year.id}")
    ax.legend(fontsize="small", ncol=2)
    ax.grid(alpha=0.3)
    return fig


_TASKS_CAPTION = (
    "每个一般检查事项抽查任务(及合计)的进度：基数为存续的检查对象，各列为到达该环节的对象数(已抽取、已派员、"
    "已排期、已检查、已公示)。Each general task's firms at each stage, against its base and the year's target."
)
_BATCHES_CAPTION = "年度计划的各抽查批次：检查时间、应完成的比例与各环节的对象数。The year's batches."


def write_year_report(status: YearStatus, out_dir: str | Path) -> Path:
    """Write ``year-status.html`` (tables and the coverage chart over the batches) and ``year-coverage.png``.

    The chart needs the base (a status computed with the population); without it the page has the tables only.
    The page's words are Chinese with English beside, whatever the locale; matplotlib's state is left as it was.
    """
    out = Path(out_dir)
    label = _Labels()
    figure = ""
    if len(status.progress) and status.progress["base"].notna().all():
        chart = _Figure(
            "coverage",
            "Coverage of the general items over the batches: drawn (solid), done (dotted), due (dashed), target.",
            "每批之后，一般检查事项抽查任务已抽取(实线)和已检查(点线)的对象占基数的比例，"
            "虚线为到该批应完成的比例，黑线为年度目标(一般事项抽查比例为约束性指标)。",
            lambda: _coverage_figure(status, label),
        )
        figure = _embedded(out / "year-coverage.png", chart, label, key=False)
    title = f"{status.year.id} 年度抽查进度 year status"
    page = _html(
        title,
        f"<h1>{html.escape(title)}</h1><p>年度目标 target: {float(status.year.target):.1%}</p>"
        + html_table(status.tasks, _TASKS_CAPTION)
        + figure
        + html_table(status.batches, _BATCHES_CAPTION),
    )
    path = out / "year-status.html"
    atomic_write_bytes(path, page.encode("utf-8"))
    return path
