"""The notebooks' prose in Chinese, by the first line of each English Markdown cell (make_notebooks.py)."""

ZH = {
    "# 1. Draw a plan and read the allocation": "# 1. 抽取一份抽查计划,看样本如何分配\n\n"
    "用一个随机种子抽取样例计划的每项任务,看每项任务的样本如何分配到各层(信用风险分类、风险等级……)。",
    "## Allocation by stratum": "## 各层的分配\n\n"
    "`quota` 是取整之前的精确份额;`threshold` 是该层最后一个被抽中对象的抽签号:抽签号不大于它的企业恰好被抽中。",
    "## Anyone can recompute a ticket": "## 任何人都能重算抽签号\n\n"
    "`printf '%s' \"$SEED:$SCOPE:$USCC\" | sha256sum` 得到相同的值。",
    "## Nothing is lost": "## 一行也不少\n\n名录库的每一行最终都是:不在范围内、被排除(附原因)、被抽中或未被抽中。",
    "# 2. Tune credit multipliers": "# 2. 调整信用分类倍数\n\n"
    "A 到 D 类的倍数变化时,各信用风险分类贡献多少检查对象,一般任务的 5% 保底是否起作用。",
    "Lower multipliers for class A spare low-risk firms (无事不扰); when the weighted ratio falls below the floor, the "
    "base ratio is raised to the smallest value that meets it exactly.": "降低 A 类的倍数可少扰低风险企业(无事不扰);"
    "加权后的比例低于保底时,基础比例提高到恰好满足保底的最小值。",
    "# 3. Coordination: how joint plans cut visits": "# 3. 协调:联合抽查如何减少上门次数\n\n"
    "同一计划中相互协调的任务共用抽签号,被几个部门同时抽中的企业只检查一次(一次多查);独立的任务各自抽取。",
    "# 4. Staff the visits": "# 4. 派员\n\n"
    "把抽取结果合并为检查任务,从执法检查人员名录库中派员,遵守回避、辖区、所所交叉和工作量的规则;再看各人的工作量和回避情况。",
    "## Officers' loads": "## 检查人员的工作量",
    "## Recusals": "## 回避\n\n"
    "检查人员为什么不检查某些对象(申报的利害关系、回避申请、两层以内的关系、轮换)。这些申报从不公示。",
    "## Visits that wait, and why": "## 暂未派员的检查及其原因",
    "# 5. Verify a published draw": "# 5. 核验一次公示的抽取\n\n"
    "抽查机关在信标产生前承诺其输入,然后抽取并公示。之后任何人都能用这些文件重新核验全部内容,"
    "一家企业只凭自己的核验证明和公示的抽取清单就能核对自己的结果。",
    "## One firm's proof": "## 一家企业的核验证明",
    "# 6. A year, batch by batch": "# 6. 一年,一批一批地做\n\n"
    "一般事项抽查比例的 5% 按全年计算。运行样例年度:四个季度批次,每批都经过承诺、抽取、派员、检查和公示,"
    "每一步记入检查台账,批次之间名录库在变化。然后看覆盖率如何达到目标。",
    "## What each batch drew, and why": "## 每一批抽了多少,为什么\n\n"
    "每批的抽取清单记录了它读取的台账位置,以及每项一般任务的基数、全年目标、到本批结束应完成的部分、"
    "本批之前已覆盖的企业和本批抽取的数量。",
    "## Coverage against the target, over the batches": "## 各批次累计的覆盖率与目标",
    "## The ledger, and its checks": "## 台账及其核验\n\n"
    "台账记录全年的每一次检查,以 SHA-256 链接;每批所读取的台账状态都已公示并被承诺绑定。核验这条链和其中的每一批。",
}
