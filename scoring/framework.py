"""The national common indicator framework (共性指标体系框架, 财预〔2020〕10号 附件), as data.

One place for the tree a new evaluation starts from: ``jixiao check --case``
writes it as a scaffold when a report has no scoring table, and the workbook
(``jixiao init``) can start from it too. The weights are a starting point
(决策 15, 过程 20, 产出 40, 效益 25); the evaluation plan sets the real ones.
Leaves with a formula in the framework get a ratio rule; the others a
judgment rule with no deduction, for the evaluator to fill in.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from scoring.models import Indicator

#: (一级, 分值, [(二级, 分值, [(三级, 分值, 规则 or None, 指标解释)])])
FRAMEWORK: tuple[tuple[str, int, tuple[tuple[str, int, tuple[tuple[str, int, dict[str, Any] | None, str], ...]], ...]], ...] = (
    ("决策", 15, (
        ("项目立项", 4, (
            ("立项依据充分性", 2, None, "项目立项是否符合法律法规、相关政策、发展规划以及部门职责"),
            ("立项程序规范性", 2, None, "项目申请、设立过程是否符合相关要求"),
        )),
        ("绩效目标", 5, (
            ("绩效目标合理性", 3, None, "项目所设定的绩效目标是否依据充分，是否符合客观实际"),
            ("绩效指标明确性", 2, None, "绩效目标是否细化分解为具体的绩效指标"),
        )),
        ("资金投入", 6, (
            ("预算编制科学性", 3, None, "项目预算编制是否经过科学论证、有明确标准"),
            ("资金分配合理性", 3, None, "项目预算资金分配是否有测算依据，与补助单位或地方实际是否相适应"),
        )),
    )),
    ("过程", 20, (
        ("资金管理", 12, (
            ("资金到位率", 4, {"type": "ratio", "numerator": "funds.received", "denominator": "funds.budget", "label": "资金到位率"},
             "资金到位率 = 实际到位资金 / 预算资金 × 100%"),
            ("预算执行率", 4, {"type": "ratio", "numerator": "funds.spent", "denominator": "funds.received", "label": "预算执行率"},
             "预算执行率 = 实际支出资金 / 实际到位资金 × 100%"),
            ("资金使用合规性", 4, None, "项目资金使用是否符合相关的财务管理制度规定"),
        )),
        ("组织实施", 8, (
            ("管理制度健全性", 4, None, "项目实施单位的财务和业务管理制度是否健全"),
            ("制度执行有效性", 4, None, "项目实施是否符合相关管理规定"),
        )),
    )),
    ("产出", 40, (
        ("产出数量", 10, (("实际完成率", 10, None, "实际完成率 = 实际产出数 / 计划产出数 × 100%"),)),
        ("产出质量", 10, (("质量达标率", 10, None, "质量达标率 = 质量达标产出数 / 实际产出数 × 100%"),)),
        ("产出时效", 10, (("完成及时性", 10, None, "项目实际完成时间与计划完成时间的比较"),)),
        ("产出成本", 10, (("成本节约率", 10, None, "成本节约率 = （计划成本 − 实际成本） / 计划成本 × 100%"),)),
    )),
    ("效益", 25, (
        ("项目效益", 15, (
            ("经济效益", 3, None, "项目实施所产生的经济效益"),
            ("社会效益", 6, None, "项目实施所产生的社会效益"),
            ("生态效益", 3, None, "项目实施所产生的生态效益"),
            ("可持续影响", 3, None, "项目实施对人、自然、资源是否带来可持续影响"),
        )),
        ("满意度", 10, (("服务对象满意度", 10, None, "社会公众或服务对象对项目实施效果的满意程度"),)),
    )),
)

JUDGMENT_PLACEHOLDER: dict[str, Any] = {"type": "judgment", "deduction": 0, "reason": "待评价人按评分标准填写"}


def framework_indicators() -> list[Indicator]:
    """The framework as case indicators (a fresh copy each call)."""
    return [
        Indicator(name=first, weight=Decimal(w1), children=[
            Indicator(name=second, weight=Decimal(w2), children=[
                Indicator(name=third, weight=Decimal(w3), rule=rule or JUDGMENT_PLACEHOLDER, note=note)
                for third, w3, rule, note in leaves
            ])
            for second, w2, leaves in seconds
        ])
        for first, w1, seconds in FRAMEWORK
    ]


__all__ = ["FRAMEWORK", "framework_indicators"]
