"""Findings grouped into problems: one problem per 问题定性, ordered by the points it cost.

A finding's cost is its share of the deduction on the leaf it is attached to:
``per`` for a per-finding rule, otherwise the leaf's deduction split evenly
over the findings attached to it. Unattached findings cost nothing but still
appear, last.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only: importing the case model costs start-up time
    from scoring.models import Case, Finding
    from scoring.results import NodeResult, ScoreResult


@dataclass
class Problem:
    nature: str
    findings: list[Finding]
    cost: Decimal
    leaves: list[NodeResult] = field(default_factory=list)

    @property
    def projects(self) -> list[str]:
        """Distinct projects named by the findings, in order of first appearance."""
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


def group_problems(case: Case, result: ScoreResult) -> list[Problem]:
    """Problems by 问题定性, costliest first (ties keep the order of the findings list)."""
    from scoring.tree import TreeIndex

    index = TreeIndex(case)
    by_path = {node.path: node for node in result.nodes}
    attached: dict[str, list[int]] = defaultdict(list)
    for i, finding in enumerate(case.findings):
        if finding.indicator is not None:
            attached[index.resolve(finding.indicator).path].append(i)
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
        problem.cost += costs[i]
        first_seen.setdefault(finding.nature, i)
        if finding.indicator is not None:
            node = by_path[index.resolve(finding.indicator).path]
            if node not in problem.leaves:
                problem.leaves.append(node)
    return sorted(groups.values(), key=lambda p: (-p.cost, first_seen[p.nature]))
