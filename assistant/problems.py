"""Findings grouped into problems: one problem per 问题定性, ordered by the points it cost.

A finding's cost is its share of the deduction on the leaf it is attached to:
``per`` for a per-finding rule, otherwise the leaf's deduction split evenly
over the findings attached to it. Unattached findings cost nothing but still
appear, last.

Within a problem the findings are ordered by severity (:func:`severity_key`):
the amount involved, the points deducted, the legal weight. A leaf that lost
points, gives a reason and has no finding attached is a problem of its own
(``Problem.leaf_only``): 004's 绩效目标合理性 deduction is the report's problem (一).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # types only: importing the case model costs start-up time
    from scoring.models import Case, Finding
    from scoring.results import NodeResult, ScoreResult

ProblemOrder = Literal["points", "framework"]
_LEGAL = re.compile(r"《[^》]*(?:法|条例|办法|规定|通知)》|应公开招标|违反|未落实政府采购|未履行|程序后置|倒置")
_SEVERITY = {"严重": 3, "较重": 2, "重大": 3, "一般": 1, "轻微": 0}
# A budget line's name in running text: 「2024年第二批专项债券额度（一般债券）-城区智能交通管控（天网工程）」.
_BUDGET_PREFIX = re.compile(r"^.*?(?:限额|债券|资金|专项)[）)]?\s*[-—－–]\s*")


@dataclass
class Problem:
    nature: str
    findings: list[Finding]
    cost: Decimal
    leaves: list[NodeResult] = field(default_factory=list)
    costs: list[Decimal] = field(default_factory=list)  # per finding, aligned with ``findings``
    leaf_only: bool = False  # built from a deducted leaf's reason, no finding behind it

    @property
    def projects(self) -> list[str]:
        """Distinct projects named by the findings, in order of first appearance (the strongest example's first)."""
        return list(dict.fromkeys(f.project for f in self.findings if f.project))

    @property
    def units(self) -> list[str]:
        return list(dict.fromkeys(f.unit for f in self.findings if f.unit))

    @property
    def issues(self) -> list[str]:
        return list(dict.fromkeys(f.issue for f in self.findings if f.issue))

    @property
    def causes(self) -> list[str]:
        return list(dict.fromkeys(f.cause for f in self.findings if f.cause))

    @property
    def counted(self) -> list[Finding]:
        """The findings the report counts (not waived)."""
        return [f for f in self.findings if not f.waived]


def short_name(name: str) -> str:
    """A project's name for running text: the budget-line prefix dropped (the name itself otherwise)."""
    stripped = _BUDGET_PREFIX.sub("", name).strip()
    return stripped if len(stripped) >= 4 else name


def project_budget(case: Case, finding: Finding) -> Decimal:
    """The budget of the fund line the finding's project names (0 if none): the scale of the project concerned."""
    project = finding.project or ""
    best = Decimal(0)
    for line in case.funds.lines:
        if project and line.budget is not None and (line.name in project or project in line.name):
            best = max(best, line.budget)
    return best


def severity_key(case: Case, finding: Finding, cost: Decimal) -> tuple[int, Decimal, Decimal, Decimal, int]:
    """Sort key, most serious first: counted before waived, the amount the finding involves, the points it cost,
    the size of the project concerned, its legal weight (a law cited, 应公开招标, a severity given)."""
    text = " ".join(filter(None, (finding.issue, finding.description, finding.evidence)))
    legal = len(_LEGAL.findall(text)) + _SEVERITY.get(finding.severity or "", 0) * 2
    own = finding.amount if finding.amount is not None else Decimal(0)
    return (1 if finding.waived else 0, -own, -cost, -project_budget(case, finding), -legal)


def _framework_rank(result: ScoreResult, problem: Problem) -> int:
    """The earliest category (决策→过程→产出→效益) among the leaves the problem lost points on."""
    paths = [c.path for c in result.categories]
    ranks = [i for leaf in problem.leaves for i, path in enumerate(paths) if leaf.path == path or leaf.path.startswith(path + "/")]
    return min(ranks, default=len(paths))


def group_problems(case: Case, result: ScoreResult, order: ProblemOrder = "points") -> list[Problem]:
    """Problems by 问题定性 plus deducted leaves without findings; costliest first (``order="framework"``:
    by category 决策→过程→产出→效益, then cost). Ties keep the order of the findings list."""
    from scoring.tree import TreeIndex

    index = TreeIndex(case)
    by_path = {node.path: node for node in result.nodes}
    attached: dict[str, list[int]] = defaultdict(list)
    touched: set[str] = set()
    for i, finding in enumerate(case.findings):
        if finding.indicator is not None:
            attached[index.resolve(finding.indicator).path].append(i)
        touched.update(index.resolve(name).path for name in finding.indicators)
    costs = [Decimal(0)] * len(case.findings)
    for path, members in attached.items():
        node = by_path[path]
        rule = index.by_path[path].node.rule
        deduction = node.weight - node.score
        if rule is not None and rule.type == "per_finding":
            share = min(rule.per, deduction / len(members)) if deduction > 0 else Decimal(0)
        else:
            share = deduction / len(members) if deduction > 0 else Decimal(0)
        for i in members:
            costs[i] = share
    groups: dict[str, Problem] = {}
    first_seen: Counter[str] = Counter()
    for i, finding in enumerate(case.findings):
        problem = groups.setdefault(finding.nature, Problem(nature=finding.nature, findings=[], cost=Decimal(0)))
        problem.findings.append(finding)
        problem.costs.append(costs[i])
        problem.cost += costs[i]
        first_seen.setdefault(finding.nature, i)
        if finding.indicator is not None:
            node = by_path[index.resolve(finding.indicator).path]
            if node not in problem.leaves:
                problem.leaves.append(node)
    for problem in groups.values():
        ranked = sorted(zip(problem.findings, problem.costs), key=lambda pair: severity_key(case, pair[0], pair[1]))
        problem.findings = [f for f, _ in ranked]
        problem.costs = [c for _, c in ranked]
    problems = list(groups.values())
    if case.findings:  # with no findings at all the sections write the deductions themselves (problems_from_deductions)
        for node in result.nodes:
            if node.is_leaf and node.score < node.weight and node.reason and node.path not in touched:
                problems.append(Problem(nature=node.name, findings=[], cost=node.weight - node.score, leaves=[node], leaf_only=True))
                first_seen.setdefault(node.name, len(case.findings) + len(problems))
    ranked_problems = sorted(problems, key=lambda p: (-p.cost, first_seen[p.nature]))
    if order == "framework":
        ranked_problems.sort(key=lambda p: _framework_rank(result, p))
    return ranked_problems
