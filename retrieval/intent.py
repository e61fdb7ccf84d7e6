"""What kind of section a query asks for, from its wording ("…的建议" → suggestions).

Used to prefer, not to filter: a query that says 扣分 still sees problem
passages, but scoring tables and indicator analyses rank first.
"""

from __future__ import annotations

import re

# (pattern, section kinds it points to). Data, not an if-chain: add a row to teach a new phrasing.
KIND_CUES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"建议|对策|措施|怎么改|如何改进|应当如何|该怎么办|改进", ("suggestions",)),
    (r"经验|做法|亮点|成效", ("experience",)),
    (r"原因|根子|为什么|为何|症结", ("causes", "problems")),
    (r"扣了?\S{0,3}分|得几分|得分|分值|怎么算", ("indicator_analysis", "scoring_table")),
    (r"评分表|打分明细|明细表|评分明细", ("scoring_table",)),
    (r"总分|等级|评级|打了几分|综合评价|结论", ("conclusion",)),
    (r"问题清单|问题台账", ("findings_list",)),
    (r"预算|到位|支出|资金情况|结余|执行率", ("basic_info", "indicator_analysis")),
    (r"评价方法|指标体系|评价过程|评价原则|评价标准", ("method",)),
    (r"问题|不规范|不及时|滞后|偏低|不到位|不足|缺失|倒挂|走过场", ("problems", "findings_list")),
)
_COMPILED = tuple((re.compile(pattern), kinds) for pattern, kinds in KIND_CUES)


def intended_kinds(query: str) -> set[str]:
    """Section kinds the query's wording points to (empty when it says nothing about it)."""
    kinds: set[str] = set()
    for pattern, targets in _COMPILED:
        if pattern.search(query):
            kinds.update(targets)
    return kinds
