"""From the sheets read to a case: each leaf's rule from its 评价标准, findings placed on leaves, funds and inputs filled.

A leaf's rule comes, in order, from a 计分规则 cell (what the export writes, read
back exactly), else from its 评价标准 wording through :func:`scoring.ruletext.read_rule`
with the measured value it needs taken from 基础数据, 问卷, 资金明细 or the
评价说明. Where the rule so read does not give the sheet's 得分, the sheet's
得分 stands as the evaluator's judgment and the difference is a check: never a
silent override in either direction.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from scoring.funds import compute_funds
from scoring.models import Funds
from scoring.numbers import fmt_short, quantize
from scoring.rules import REGISTRY, RuleContext
from scoring.ruletext import count_unit, read_rule, stated_count, stated_percent
from scoring.workpapers.base import FindingRow, LeafRow, Parts, TargetRow

NO_REASON = "（评分表未写明扣分理由）"
#: What the 对应指标 column says of a finding counted under no leaf (the export writes it; a user may too).
UNPLACED = "未挂到指标"
_NONE = (UNPLACED, "无", "—", "-", "/", "不扣分")


@dataclass
class Inference:
    """How one leaf's rule was found: shown to the user as one row of the import table."""

    path: str
    weight: Decimal
    sheet_score: Decimal | None
    family: str
    label: str
    words: str
    """The words (or the cell) the rule was read from."""
    score: Decimal | None = None
    """What the rule gives (``None`` when it could not be computed)."""
    check: str = ""
    """Why the rule was not used, or where it disagrees with the sheet."""
    findings: list[str] = field(default_factory=list)


@dataclass
class Placement:
    finding: str
    leaf: str | None
    why: str


def _cut(text: str, limit: int = 24) -> str:
    text = re.sub(r"\s+", "", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ── findings → leaves ───────────────────────────────────────────────────────


def _bigrams(text: str) -> set[str]:
    text = re.sub(r"[^\u4e00-\u9fffA-Za-z0-9]", "", text)
    return {text[i: i + 2] for i in range(len(text) - 1)}


def _common_run(a: str, b: str, least: int = 4) -> str:
    """The longest run of ``a`` (at least ``least`` characters) that ``b`` contains."""
    best = ""
    for i in range(len(a)):
        for j in range(i + max(least, len(best) + 1), len(a) + 1):
            if a[i:j] in b:
                best = a[i:j]
            else:
                break
    return best


_PROJECT_NOISE = re.compile(r"^(?:\d{4}年|永州市|市)|项目$|（[^）]*）|\([^)]*\)")


def place_findings(rows: list[FindingRow], leaves: list[LeafRow], problems: list[Any]) -> list[Placement]:
    """Set each finding's ``indicator``: its own 指标 column, else the leaf whose 评价说明 names it best, else none."""
    from scoring.io import Problem

    names = {"/".join(leaf.path): leaf for leaf in leaves}
    placements: list[Placement] = []
    deducted = [leaf for leaf in leaves if leaf.weight is not None and leaf.score is not None and leaf.score < leaf.weight] or leaves
    texts = [_bigrams(leaf.note + leaf.criteria + leaf.path[-1]) for leaf in deducted]
    df: dict[str, int] = {}
    for words in texts:
        for b in words:
            df[b] = df.get(b, 0) + 1
    for row in rows:
        label = f"第 {row.values['id']} 条（{row.values['nature']}：{_cut(row.values.get('issue') or row.values.get('description') or '')}）"
        if row.indicator in _NONE:
            placements.append(Placement(label, None, f"问题清单“指标”列写明{row.indicator}"))
            continue
        if row.indicator:
            wanted = re.sub(r"\s+", "", row.indicator)
            found = [path for path in names if path == wanted or path.endswith("/" + wanted)]
            if len(found) != 1:
                reason = "对应多个末级指标，请写明路径（如 项目过程/组织实施/制度执行有效性）" if found else "不是评分表中的末级指标"
                problems.append(Problem(row.source, row.row, row.indicator_where, f"“{row.indicator}”{reason}（问题清单{label}）"))
                continue
            row.values["indicator"] = found[0]
            placements.append(Placement(label, found[0], "问题清单“指标”列写明"))
            continue
        project = _PROJECT_NOISE.sub("", row.values.get("project") or "")
        own = _bigrams((row.values.get("issue") or "") + (row.values.get("nature") or ""))
        best: tuple[float, LeafRow | None, str] = (0.0, None, "")
        for leaf, words in zip(deducted, texts):
            # Bigrams that many leaves share (不规、及时) say little: each counts 1 / (leaves holding it).
            total = sum(1 / df.get(b, 1) for b in own) or 1.0
            overlap = sum(1 / df[b] for b in own & words) / total
            run = _common_run(project, leaf.note) if project else ""
            value = overlap + (0.3 if run else 0.0)
            if value > best[0]:
                shared = sorted(own & words)
                why = "评价说明" + (f"提到“{run}”" if run else "") + (f"，措辞相近（{'、'.join(shared[:4])}…）" if shared else "")
                best = (value, leaf, why)
        score, chosen, why = best
        if chosen is not None and score >= 0.4:
            row.values["indicator"] = "/".join(chosen.path)
            placements.append(Placement(label, "/".join(chosen.path), f"{why}（匹配度 {score:.2f}）"))
        else:
            placements.append(Placement(label, None, "评分表中没有哪条评价说明与它相符，未挂到指标（不计入扣分，请在“指标”列写明）"))
    return placements


# ── leaf rules ──────────────────────────────────────────────────────────────


def _target_for(leaf: LeafRow, targets: list[TargetRow]) -> TargetRow | None:
    name = leaf.path[-1]
    exact = [t for t in targets if t.name == name or t.name == "/".join(leaf.path)]
    if exact:
        return exact[0]
    near = [t for t in targets if len(t.name) >= 3 and (t.name in name or name in t.name)]
    return near[0] if len(near) == 1 else None


def _apply(spec: dict[str, Any], weight: Decimal, count: int, funds: dict[str, Decimal | None]) -> Decimal | None:
    try:
        rule = REGISTRY[spec["type"]]
        params = rule.params.model_validate(spec)
        outcome = rule.apply(params, RuleContext(weight=weight, findings_count=count, fund_figures=funds))
    except (ValidationError, KeyError, ValueError, TypeError, ArithmeticError):
        return None
    return None if outcome.missing_value else quantize(outcome.score)


def _fill(leaf: LeafRow, spec: dict[str, Any], family: str, needs: tuple[str, ...], attached: int, parts: Parts,
          funds: dict[str, Decimal | None]) -> tuple[dict[str, Any] | None, str]:
    """The spec with the measured values it needs; ``None`` and why when they are nowhere in the workbook."""
    weight = leaf.weight or Decimal(0)
    target = _target_for(leaf, parts.targets)
    if family == "ratio":
        label = spec.get("label", "比率")
        ref = spec.get("rate")
        if isinstance(ref, str) and ref.startswith("funds."):
            if funds.get(ref.removeprefix("funds.")) is not None:
                return spec, f"资金明细算出的{label}"
            spec.pop("rate")
        if target is not None and target.actual is not None:
            if target.unit in ("%", "％") or target.target in (None, Decimal(0)):
                spec["rate"] = target.actual
            else:
                spec.update(numerator=target.actual, denominator=target.target)
            return spec, f"基础数据“{target.name}”：目标 {target.target}，实际 {target.actual}{target.unit}"
        if "满意" in leaf.path[-1] + label and parts.survey_overall is not None:
            spec["rate"] = quantize(parts.survey_overall)
            return spec, f"问卷整体满意度 {quantize(parts.survey_overall)}%"
        stated = stated_percent(leaf.note, label)
        if stated is not None:
            spec["rate"] = stated
            return spec, f"评价说明所写 {stated}%"
        return None, f"评价标准按{label}计分，但基础数据、问卷、资金明细和评价说明中都没有{label}的数值"
    if family == "per_finding" and spec.get("per") is not None and not spec.get("per_nature"):
        per = Decimal(str(spec["per"]))
        deduction = weight - leaf.score if leaf.score is not None else None
        if deduction is not None and attached and per * attached == min(deduction, weight) and deduction < weight:
            return spec, f"问题清单挂到本指标的 {attached} 条问题"
        unit = count_unit(leaf.criteria)
        counted = stated_count(leaf.note, unit)
        if counted is not None and counted[1]:  # only a count the 扣分 sentence itself gives
            spec["count"] = counted[0]
            return spec, f"评价说明写明共 {counted[0]} {unit}"
        if deduction is not None and deduction >= 0 and (deduction / per) == (deduction / per).to_integral_value():
            spec["count"] = int(deduction / per)
            return spec, f"评价说明未写例数：由扣 {fmt_short(deduction, 2)} 分 ÷ 每例 {fmt_short(per, 2)} 分得 {spec['count']} 例"
        if leaf.score is None:
            return spec, f"问题清单挂到本指标的 {attached} 条问题"
        return None, f"扣 {fmt_short(deduction if deduction is not None else Decimal(0), 2)} 分不是每例 {fmt_short(per, 2)} 分的整数倍"
    if needs:
        if target is not None and target.actual is not None:
            for key in needs:
                if key in ("actual", "value"):
                    spec[key] = target.actual
                elif key == "target" and target.target is not None:
                    spec[key] = target.target
            if all(key in spec for key in needs):
                return spec, f"基础数据“{target.name}”：目标 {target.target}，实际 {target.actual}{target.unit}"
        return None, f"评价标准需要{'、'.join(needs)}的数值，工作底稿中没有（可在“基础数据”表按指标名称填写）"
    return spec, ""


def leaf_rule(leaf: LeafRow, attached: int, parts: Parts, funds: dict[str, Decimal | None]) -> tuple[dict[str, Any], Inference]:
    """The rule of one leaf and the row that says where it came from."""
    path = "/".join(leaf.path)
    weight = leaf.weight or Decimal(0)
    inference = Inference(path, weight, leaf.score, "judgment", REGISTRY["judgment"].label, "")
    spec: dict[str, Any] | None = None
    if leaf.rule_cell:
        try:
            spec = json.loads(leaf.rule_cell)
            if not isinstance(spec, dict) or "type" not in spec:
                raise ValueError
            REGISTRY[spec["type"]].params.model_validate(spec)
        except (ValueError, KeyError, ValidationError) as exc:
            inference.check = f"计分规则列不是可读的规则（{type(exc).__name__}），改从评价标准读取"
            spec = None
        else:
            if leaf.criteria:
                spec["text"] = leaf.criteria
            inference.family, inference.label, inference.words = spec["type"], REGISTRY[spec["type"]].label, "计分规则列"
            inference.score = _apply(spec, weight, attached, funds)
            return spec, inference
    read = read_rule(leaf.criteria) if leaf.criteria else None
    if read is not None and read.understood and read.family != "judgment":
        filled, source = _fill(leaf, dict(read.spec), read.family, read.needs, attached, parts, funds)
        if filled is not None:
            computed = _apply(filled, weight, attached if "count" not in filled else 0, funds)
            words = f"评价标准“{_cut(leaf.criteria, 30)}”" + (f"；{source}" if source else "")
            if computed is not None and (leaf.score is None or computed == quantize(leaf.score)):
                inference.family, inference.label, inference.words, inference.score = read.family, REGISTRY[read.family].label, words, computed
                return filled, inference
            inference.check = (
                f"评价标准读作“{REGISTRY[read.family].label}”，{words}，算得 {computed} 分，评分表得分 {leaf.score} 分：采用评分表得分（酌情扣分），请核对"
                if computed is not None else f"评价标准读作“{REGISTRY[read.family].label}”，但算不出得分：采用评分表得分"
            )
        else:
            inference.check = f"{source}：采用评分表得分（酌情扣分）"
    elif read is not None:
        inference.words = f"评价标准只列评价要点“{_cut(leaf.criteria, 20)}”，扣分由评价说明给出"
    score = leaf.score if leaf.score is not None else weight
    deduction = max(weight - score, Decimal(0))
    judgment: dict[str, Any] = {"type": "judgment", "deduction": deduction}
    if deduction:
        judgment["reason"] = leaf.note or NO_REASON
    if leaf.criteria:
        judgment["text"] = leaf.criteria
    if leaf.score is None:
        inference.check = (inference.check + "；" if inference.check else "") + "评分表未填得分：暂按满分计"
    if not inference.words:
        inference.words = "评分表得分" + (f"；评价说明“{_cut(leaf.note, 20)}”" if leaf.note else "")
    inference.score = quantize(score)
    return judgment, inference


def fund_figures(funds: Funds) -> dict[str, Decimal | None]:
    return dict(compute_funds(funds, 2).values)
