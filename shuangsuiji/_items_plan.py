"""Writing a plan (``plan.toml``) from the items lists: one task per item (private; see :mod:`shuangsuiji.items`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

from ._i18n import _
from ._item_fields import comment_text, listed_ratio, toml_list, toml_string
from .items import Item, ItemsList, read_items, read_joint_items
from .validation import check_identifier, fraction_text

__all__ = ["items_plan", "items_plan_file"]


def _task_lines(
    item: Item, joint: bool, ratio: Fraction, rows_of: Callable[[Item], str], strata: Sequence[str] | None = None
) -> list[str]:
    """One ``[[tasks]]`` table, with the blanks the bureau fills marked ``待填写``."""

    def listed(text: str) -> str:
        return f" (清单: {comment_text(text)})" if text else ""

    lines = ["", f"[[tasks]]  # {rows_of(item)}", f"id = {toml_string(item.id)}", f"name = {toml_string(item.name)}"]
    lines += [f"department = {toml_string(item.department)}", f"items = {toml_list([item.name])}"]
    if item.kind:
        said = "一般检查事项" if item.kind == "general" else "重点检查事项"
        lines.append(f"category = {toml_string(item.kind)}  # {said}")
    else:
        lines.append('category = "general"  # 待填写: 事项类别 (清单未写, 暂作一般检查事项 general)')
    given = listed_ratio(item.ratio)
    if given is not None:
        lines.append(f"ratio = {toml_string(fraction_text(given))}  # 清单: 抽查比例 {comment_text(item.ratio)}")
    else:
        value = toml_string(fraction_text(ratio))
        lines.append(f"ratio = {value}  # 待填写: 抽查比例{listed(item.ratio)} (暂填默认值, 请按本地规定改写)")
    if strata is not None:
        note = "分层 (名录库没有信用风险分类, 暂按所列的列分层)"
        lines.append(f"strata = {toml_list(list(strata))}  # 待填写: {note}")
    lines.append(f"# 待填写: 抽查频次{listed(item.frequency)}")
    lines.append(f"# 待填写: 检查人员要求{listed(item.requirements)} (team_size, certificates, expert)")
    lines.append(f"# 待填写: 抽查范围 ([tasks.where]; 检查对象: {comment_text(item.object) or '未写'})")
    fields = item.task_item(joint=joint).to_dict()
    if fields:
        lines.append("[tasks.item]")
        lines += [f"{k} = {toml_list(v) if isinstance(v, list) else toml_string(v)}" for k, v in fields.items()]
    return lines


def items_plan(
    items: ItemsList,
    joint: ItemsList | None = None,
    *,
    plan_id: str,
    title: str | None = None,
    floor: Fraction = Fraction(1, 20),
    ratio: Fraction = Fraction(1, 20),
    strata: Sequence[str] | None = None,
) -> str:
    """The text of a plan file (``plan.toml``) with one task per item, for the bureau to complete.

    Task ids are the items' ids (``I001``... in list order, ``J01-1``... for the joint list). A task's
    category is its item's 事项类别 (``general``, marked, when the list does not say); general tasks take
    the plan's ``floor``. What the list does not give is marked ``# 待填写:`` (to fill in): the ratio
    (``ratio`` is written meanwhile, so that the plan loads and draws), the frequency, the team's
    requirements and the scope. The item's fields go into the task's ``[tasks.item]`` table.

    Parameters
    ----------
    items : ItemsList
        The items list (:func:`read_items`).
    joint : ItemsList, optional
        The joint list (:func:`read_joint_items`); its tasks follow the list's.
    plan_id : str
        The plan's id, ``[A-Za-z0-9._-]{1,64}``.
    title : str, optional
        The plan's title (抽查计划名称).
    floor, ratio : Fraction
        The plan's floor for general tasks, and the ratio written where the list gives none (5% each by default).
    strata : sequence of str, optional
        The strata every task is written with (marked 待填写); by default none is written, so tasks
        take the plan's default (the credit class); ``["entity_type"]`` for a population without credit classes.

    Raises
    ------
    PlanError
        If ``plan_id`` is not an id.

    Examples
    --------
    >>> lst = ItemsList("items.xlsx", None, False, (Item("I001", "省教育厅", "校服", "校服检查", kind="key"),))
    >>> print(items_plan(lst, plan_id="HN-2020").split("[[tasks]]")[1].splitlines()[5])
    category = "key"  # 重点检查事项
    """
    check_identifier(plan_id, _("The plan id"))
    lists = [x for x in (items, joint) if x is not None]
    head = [
        "# 抽查计划草稿: 由 shuangsuiji import-items 从抽查事项清单生成, 一项一任务 (docs/items.md, docs/plan.md).",
        "# Draft plan written from the items list, one task per item; fill in the lines marked 待填写 (to fill in).",
    ]
    for x in lists:
        where = Path(x.source).name + (f" [{x.sheet}]" if x.sheet else "")
        what = f"{len(x.fields())} 个领域, " if x.joint else ""
        head.append(f"# {'联合清单' if x.joint else '清单'}: {where}, {what}{len(x.items)} 项")
    head.append(f"id = {toml_string(plan_id)}")
    head.append(f"title = {toml_string(title)}" if title else '# title = "..."  # 待填写: 抽查计划名称')
    head.append(f"floor = {toml_string(fraction_text(floor))}  # 一般检查事项的最低抽查比例")
    head += ["# start = 2027-03-01  # 待填写: 开始日期", "# end = 2027-03-31  # 待填写: 结束日期"]
    for x in lists:

        def rows_of(item: Item, name: str = Path(x.source).name) -> str:
            if not item.rows:
                return name
            first, last = item.rows[0], item.rows[-1]
            return f"{name} 第{first}行" if first == last else f"{name} 第{first}-{last}行"

        for item in x.items:
            head += _task_lines(item, x.joint, ratio, rows_of, strata)
    return "\n".join(head) + "\n"


def items_plan_file(
    items: str | Path,
    joint: str | Path | None = None,
    *,
    plan_id: str,
    title: str | None = None,
    strata: Sequence[str] | None = None,
) -> tuple[int, int, str]:
    """Read the lists from their files: (tasks written, the joint list's fields or 0, the text of ``plan.toml``)."""
    lst = read_items(items)
    other = read_joint_items(joint) if joint is not None else None
    text = items_plan(lst, other, plan_id=plan_id, title=title, strata=strata)
    return len(lst.items) + (len(other.items) if other else 0), len(other.fields()) if other else 0, text
