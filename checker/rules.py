"""The report's own scoring rules, read from its text, and what they give for its own figures.

- Target rules (003's 填表说明): ``“产出”类……完成100%~130%得权重值满分，……每低于目标值1个
  百分点相应扣减权重值的5%，超过130%的每超过1%扣权重值1%``; ``“投入”类指标评分规则同“产出”类``;
  ``“结果”类指标以100%及以上为满分，每降低1%扣权重值5%``. Scored with the engine's
  ``output_band`` / ``result_target`` rules.
- Per-finding rules in a criteria or note cell: ``每发现一例扣0.2分``, ``每例0.3分``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from checker.document import ReportDoc
from checker.findings import Place
from checker.statements import quantities, sentences, texts
from scoring.numparse import find_numbers
from scoring.ruletext import target_spec
from scoring.rules import REGISTRY, RuleContext

_CATEGORY = re.compile(r"[“\"]([\u4e00-\u9fff]{1,6})[”\"]类")


@dataclass
class TargetRule:
    category: str
    spec: dict  # an engine rule without target/actual: {"type": "output_band", ...}
    place: Place
    text: str


def find_target_rules(doc: ReportDoc) -> list[TargetRule]:
    """Category rules stated in the text (see the module docstring)."""
    rules: dict[str, TargetRule] = {}
    aliases: list[tuple[str, str, Place]] = []
    for item in texts(doc):
        if "类" not in item.text or "满分" not in item.text and "同" not in item.text:
            continue
        for start, sentence in sentences(item.text):
            for clause in re.split(r"[；;]", sentence):
                categories = _CATEGORY.findall(clause)
                if not categories:
                    continue
                where = item.place(doc, start + sentence.find(clause), start + sentence.find(clause) + len(clause))
                same = re.search(r"[“\"]([\u4e00-\u9fff]{1,6})[”\"]类指标?评分规则同[“\"]([\u4e00-\u9fff]{1,6})[”\"]类", clause)
                if same:
                    aliases.append((same.group(1), same.group(2), where))
                    continue
                spec = _target_spec(clause)
                if spec is not None:
                    rules[categories[0]] = TargetRule(categories[0], spec, where, clause)
    for name, other, where in aliases:
        if other in rules:
            rules[name] = TargetRule(name, rules[other].spec, where, rules[other].text)
    return list(rules.values())


def _target_spec(clause: str) -> dict | None:
    # The one rule-text parser reads the wording; the checker only finds where it is written.
    return target_spec(clause)


def target_value(cell: str | None) -> Decimal | None:
    """``=100%`` → 100, ``≥35 个`` → 35; ``None`` for words (好, 规范) and upper limits (15%及其以下)."""
    if not cell or re.search(r"以下|以内|不高于|不超过|≤|<", cell):
        return None
    numbers = [n for n in find_numbers(cell) if n.role == "quantity"]
    if len(numbers) != 1:
        return None
    rest = cell.replace(numbers[0].text, "")
    if re.search(r"[\u4e00-\u9fff]", re.sub(r"个|台|份|点|项|种|次|万", "", rest)):
        return None
    return numbers[0].value


def apply_target(spec: dict, weight: Decimal, target: Decimal, actual: Decimal) -> tuple[Decimal, str]:
    """The engine's score and audit for a target rule."""
    rule_type = REGISTRY[spec["type"]]
    params = rule_type.params.model_validate({**spec, "target": target, "actual": actual})
    outcome = rule_type.apply(params, RuleContext(weight=weight))
    return outcome.score, outcome.audit


@dataclass
class PerFinding:
    per: Decimal
    unit: str  # 例 / 项 / 处 …


_PER = re.compile(r"每(?:发现|出现|缺报|存在)?(?:一|1)?\s*(例|项|处|次|个|份|条)")


def find_per_finding(text: str) -> PerFinding | None:
    """``每发现一例明显不合规情况扣0.5分`` → (0.5, 例); ``每份0.5分`` → (0.5, 份)."""
    match = _PER.search(text)
    if not match:
        return None
    clause = re.split(r"[，,。；;]", text[match.start():])[0]
    numbers = [n for n in quantities(clause) if n.unit == "分"]
    return PerFinding(numbers[0].value, match.group(1)) if numbers else None
