"""Rule text → rule: read the wording of a 评价标准 / 评分标准 cell into an engine rule.

:func:`read_rule` is pure and deterministic; numbers are read by the shared
parser :mod:`scoring.numparse`. It recognises, most specific first:

- levels (好/较好/一般/较差/差 with their percentages);
- target bands (003's 填表说明: 完成100%~130%得满分，每低于1个百分点扣权重值的5%…);
- upper-bound targets (15%及其以下得满分，每超1个百分点扣0.5分);
- tiers (≥95%得满分，90%（含）–95%得80%，…，低于60%不得分; also on 例数);
- lateness (每逾期一天扣0.1分，最多扣2分);
- ratio (得分=预算执行率×分值, 满意度100%得满分，否则按比例得分), per finding
  (每发现一例扣0.2分，扣完为止), and the two together (composite).

What it cannot read becomes ``judgment`` with the text kept, and
:attr:`ReadRule.message` says so. Measured values (a rate, a completion, a
date) are rarely in the criteria cell: the spec leaves them out, except where a
fund figure names them (预算执行率 → ``funds.execution_rate``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from scoring.numparse import ParsedNumber, find_numbers

PERCENT_UNITS = frozenset({"%", "％", "个百分点", "百分点"})
COUNT_UNITS = frozenset({"例", "项", "处", "次", "个", "份", "条", "起", "件"})

#: Ratios the case's fund figures compute (``funds.*`` references).
FUND_RATES = {"预算执行率": "funds.execution_rate", "资金到位率": "funds.arrival_rate", "合同支付比例": "funds.contract_payment_ratio"}


@dataclass(frozen=True)
class ReadRule:
    """What :func:`read_rule` made of a text: an engine rule spec and whether the text was understood."""

    family: str
    spec: dict[str, Any]
    understood: bool
    text: str
    message: str
    needs: tuple[str, ...] = field(default=())
    """Values the spec still lacks (``rate``, ``actual``, ``count`` …), to be filled from the report's other cells."""


def _numbers(text: str) -> list[ParsedNumber]:
    return [n for n in find_numbers(text) if n.role == "quantity"]


def _percents(text: str) -> list[Decimal]:
    return [n.value for n in _numbers(text) if n.unit in PERCENT_UNITS]


def _points(text: str) -> list[Decimal]:
    return [n.value for n in _numbers(text) if n.unit == "分"]


def _clauses(text: str) -> list[str]:
    return [part for part in re.split(r"[，,；;。\n]", text) if part.strip()]


def _judgment(text: str, why: str) -> ReadRule:
    spec: dict[str, Any] = {"type": "judgment"}
    if text:
        spec["text"] = text
    return ReadRule("judgment", spec, False, text, f"未能读出计分方法（{why}），按评价人酌情扣分（judgment）处理，原文保留")


def _rule(family: str, spec: dict[str, Any], text: str, message: str, needs: tuple[str, ...] = ()) -> ReadRule:
    return ReadRule(family, {"type": family, **spec, "text": text}, True, text, message, needs)


# ── levels ──────────────────────────────────────────────────────────────────
_LEVELS = re.compile(r"好[、/，,\s]*较好[、/，,\s]*一般[、/，,\s]*较差[、/，,\s]*(?:和|及)?差")


def _levels(text: str) -> ReadRule | None:
    match = _LEVELS.search(text)
    if not match:
        return None
    spec: dict[str, Any] = {}
    percents = _percents(text[match.end():])
    if len(percents) >= 5:
        spec["scale"] = dict(zip(("好", "较好", "一般", "较差", "差"), percents[:5]))
    return _rule("levels", spec, text, "定性分级：好/较好/一般/较差/差", ("level",))


# ── target bands (003) ──────────────────────────────────────────────────────


def target_spec(clause: str) -> dict[str, Any] | None:
    """003's quantitative target rules: a 100–130 % band (``output_band``) or ≥ 100 % (``result_target``)."""
    band: list[Decimal] = []
    threshold: Decimal | None = None
    below: Decimal | None = None
    above: Decimal | None = None
    for part in re.split(r"[，,]", clause):
        percents = _percents(part)
        if re.search(r"每(?:低于|降低|减少|少)", part) and percents:
            below = percents[-1]
        elif re.search(r"每(?:超过|超出|高于)", part) and percents:
            above = percents[-1]
        elif "满分" in part and len(percents) >= 2:
            band = percents[:2]
        elif "满分" in part and len(percents) == 1 and re.search(r"及以上|以上", part):
            threshold = percents[0]
    if below is None:
        return None
    if band:
        spec: dict[str, Any] = {"type": "output_band", "band_low": band[0], "band_high": band[1], "below_penalty": below}
        if above is not None:
            spec["above_penalty"] = above
        return spec
    if threshold is not None and threshold == 100:
        return {"type": "result_target", "below_penalty": below}
    return None


def _target(text: str) -> ReadRule | None:
    if not re.search(r"每(?:低于|降低|减少)", text) or not re.search(r"权重值|分值", text):
        return None
    spec = target_spec(text)
    if spec is None:
        return None
    family = spec.pop("type")
    label = "目标区间（实际/目标）" if family == "output_band" else "结果目标（≥100%）"
    return _rule(family, spec, text, label, ("target", "actual"))


# ── upper bound ─────────────────────────────────────────────────────────────
_UPPER = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]?\s*(?:（含）)?\s*(及其以下|及以下|以下|以内|（含）以下)|(?:≤|不超过|不高于|不大于)\s*(\d+(?:\.\d+)?)\s*[%％]?")
_OVER = re.compile(r"每(?:超过|超出|超|高于|增加)\s*([0-9.一二三四五六七八九十]+)?\s*(?:个)?(?:百分点|%|％)")


def _penalty(part: str) -> tuple[Decimal, str] | None:
    """``扣0.5分`` → (0.5, points); ``扣权重值5%`` / ``扣减分值的5%`` → (5, weight_percent)."""
    at = part.find("扣")
    if at < 0:
        return None
    rest = part[at:]
    points = _points(rest)
    if points:
        return points[0], "points"
    percents = _percents(rest)
    if percents and re.search(r"权重值|分值", rest):
        return percents[0], "weight_percent"
    return None


def _upper(text: str) -> ReadRule | None:
    match = _UPPER.search(text)
    over = _OVER.search(text)
    if not match or not over or "满分" not in text:
        return None
    limit = Decimal(match.group(1) or match.group(3))
    step_numbers = _numbers(over.group(0))
    step = step_numbers[0].value if step_numbers else Decimal(1)
    penalty = _penalty(text[over.end():])
    if penalty is None:
        return None
    per, unit = penalty
    label = _label(text[: match.start()]) or "实际值"
    spec: dict[str, Any] = {"limit": limit, "per": per, "per_unit": unit, "label": label}
    if step != 1:
        spec["step"] = step
    return _rule("upper_bound", spec, text, f"上限型目标：≤ {limit}% 得满分，超出部分按比例扣分", ("actual",))


def _label(text: str) -> str | None:
    names = re.findall(r"[\u4e00-\u9fff]{1,10}?(?:率|度|比例|数)", text)
    return names[-1] if names else None


# ── tiers ───────────────────────────────────────────────────────────────────
_RESULT = re.compile(r"(?:得|为|记)满分|满分|不得分|得\s*0\s*分|得(?:分值|权重值|权重)?的?\s*\d+(?:\.\d+)?\s*[%％]|得\s*\d+(?:\.\d+)?\s*分")
_RANGE = re.compile(
    r"(\d+(?:\.\d+)?)\s*([%％例项处次个份条件])?\s*(（含）|（不含）|\(含\)|\(不含\))?\s*[-–—~～至到]\s*"
    r"(\d+(?:\.\d+)?)\s*([%％例项处次个份条件])?\s*(（含）|（不含）|\(含\)|\(不含\))?"
)


@dataclass
class _Tier:
    low: Decimal | None = None
    high: Decimal | None = None
    low_inc: bool = True
    high_inc: bool = False
    low_implicit: bool = False
    high_implicit: bool = False
    percent: Decimal | None = None
    score: Decimal | None = None

    def contains(self, value: Decimal) -> bool:
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inc)):
            return False
        if self.high is not None and (value > self.high or (value == self.high and not self.high_inc)):
            return False
        return True


def _result(clause: str) -> tuple[Decimal | None, Decimal | None] | None:
    match = _RESULT.search(clause)
    if not match:
        return None
    word = match.group(0)
    if "不得分" in word or re.fullmatch(r"得\s*0\s*分", word):
        return Decimal(0), None
    if "满分" in word:
        return Decimal(100), None
    numbers = _numbers(word)
    if not numbers:
        return None
    if numbers[-1].unit in PERCENT_UNITS:
        return numbers[-1].value, None
    return None, numbers[-1].value


def _bounds(clause: str, counts: bool) -> _Tier | None:
    tier = _Tier()
    rng = _RANGE.search(clause)
    if rng:
        tier.low, tier.high = Decimal(rng.group(1)), Decimal(rng.group(4))
        tier.low_inc = "不含" not in (rng.group(3) or "")
        # "90%（含）–95%" leaves 95 to the tier above; a count range "1–2例" includes both ends.
        tier.high_inc = "含" in (rng.group(6) or "") and "不含" not in (rng.group(6) or "") or (counts and not rng.group(6))
        return tier
    numbers = [n for n in _numbers(clause) if n.unit in PERCENT_UNITS or n.unit in COUNT_UNITS or n.unit is None]
    if not numbers:
        return None
    number = numbers[0]
    value = number.value
    before = clause[max(0, number.start - 6): number.start]
    after = clause[number.end: number.end + 10]
    if number.unit and after.startswith(number.unit):
        after = after[len(number.unit):]
    if re.search(r"≥|>=|不低于|不少于|达到|大于等于", before) or re.match(r"\s*(?:（含）)?\s*(?:及其?以上|以上（含）)", after):
        tier.low = value
    elif re.search(r"[>＞]|大于|高于|超过", before):
        tier.low, tier.low_inc = value, False
    elif re.match(r"\s*以上", after):
        tier.low, tier.low_implicit = value, True
    elif re.search(r"≤|<=|不超过|不高于|不多于|小于等于", before) or re.match(r"\s*(?:（含）)?\s*及其?以下", after):
        tier.high, tier.high_inc = value, True
    elif re.search(r"[<＜]|低于|小于|不足|不满|未达到", before):
        tier.high, tier.high_inc = value, False
    elif re.match(r"\s*(?:以下|以内)", after):
        tier.high, tier.high_inc, tier.high_implicit = value, True, True
    elif counts or number.unit in COUNT_UNITS:
        tier.low = tier.high = value
        tier.high_inc = True
    else:
        return None
    return tier


def _tiers(text: str) -> ReadRule | None:
    clauses = _clauses(text)
    counts = any(n.unit in COUNT_UNITS for n in _numbers(text)) and not _percents(text.split("得")[0] if "得" in text else text)
    tiers: list[_Tier] = []
    for clause in clauses:
        outcome = _result(clause)
        if outcome is None:
            continue
        head = clause[: _RESULT.search(clause).start()]  # type: ignore[union-attr]
        tier = _bounds(head, counts)
        if tier is None:
            continue
        tier.percent, tier.score = outcome
        tiers.append(tier)
    if len(tiers) < 2:
        return None
    # 以上/以下 include the number unless a neighbouring tier claims it as written.
    for tier in tiers:
        others = [other for other in tiers if other is not tier]
        if tier.low_implicit and tier.low is not None and any(o.contains(tier.low) for o in others):
            tier.low_inc = False
        if tier.high_implicit and tier.high is not None and any(o.contains(tier.high) for o in others):
            tier.high_inc = False
    rows = []
    for tier in tiers:
        row: dict[str, Any] = {}
        if tier.low is not None:
            row["min"] = tier.low
            if not tier.low_inc:
                row["min_inclusive"] = False
        if tier.high is not None:
            row["max"] = tier.high
            if tier.high_inc:
                row["max_inclusive"] = True
        row["percent" if tier.percent is not None else "score"] = tier.percent if tier.percent is not None else tier.score
        rows.append(row)
    spec: dict[str, Any] = {"tiers": rows}
    if counts:
        spec["of"] = "findings"
        spec["unit"] = "例"
        return _rule("tiered", spec, text, f"分档（按例数，{len(rows)} 档）")
    label = _label(text.split("得")[0]) or "指标值"
    spec["label"] = label
    needs: tuple[str, ...] = ("value",)
    if label in FUND_RATES:
        spec["value"] = FUND_RATES[label]
        needs = ()
    return _rule("tiered", spec, text, f"分档（按{label}，{len(rows)} 档）", needs)


# ── lateness ────────────────────────────────────────────────────────────────
_LATE = re.compile(r"每(?:逾期|延迟|延期|推迟|超期|滞后|晚)\s*(?:一|1)?\s*(?:个)?\s*(天|日|工作日|周|星期|月)")
_CAP = re.compile(r"(?:最多|最高|累计最多|累计不超过|最多不超过|扣分不超过|扣满)\s*(?:扣)?\s*(\d+(?:\.\d+)?)\s*分")


def _cap(text: str) -> Decimal | None:
    match = _CAP.search(text)
    return Decimal(match.group(1)) if match else None


def _lateness(text: str) -> ReadRule | None:
    match = _LATE.search(text)
    if not match:
        return None
    points = _points(_clauses(text[match.start():])[0])
    if not points:
        return None
    unit = {"天": "day", "日": "day", "工作日": "day", "周": "week", "星期": "week", "月": "month"}[match.group(1)]
    spec: dict[str, Any] = {"per": points[0], "unit": unit}
    cap = _cap(text)
    if cap is not None:
        spec["max_deduction"] = cap
    return _rule("lateness", spec, text, f"逾期扣分：每{match.group(1)} {points[0]} 分", ("due", "actual"))


# ── ratio and per finding ───────────────────────────────────────────────────
_PER = re.compile(r"每(?:发现|出现|存在|缺少|缺报|有)?\s*(?:一|1)\s*(例|项|处|次|个|份|条|起)")
_RATIO_FORMULAS = (
    re.compile(r"得分\s*(?:=|＝|等于)\s*(?:指标)?(?:分值|权重值?)\s*[×*xX✕]\s*([\u4e00-\u9fff]{1,12}?(?:率|度|比例))"),
    re.compile(r"得分\s*(?:=|＝|等于)\s*([\u4e00-\u9fff]{1,12}?(?:率|度|比例))\s*[×*xX✕]\s*(?:指标)?(?:分值|权重值?)"),
    re.compile(r"([\u4e00-\u9fff]{1,12}?(?:率|度|比例))\s*[×*xX✕]\s*(?:指标)?(?:分值|权重值?)"),
    re.compile(r"(?:分值|权重值?)\s*[×*xX✕]\s*([\u4e00-\u9fff]{1,12}?(?:率|度|比例))"),
)
_PROPORTIONAL = re.compile(r"([\u4e00-\u9fff]{0,12}?)(?:达到)?\s*100\s*[%％]\s*得满分[，,]?\s*(?:否则|未达到的?|低于的?)?\s*按(?:比例|实际比例|完成比例)(?:计|得)分")
_TARGET_FORMULA = re.compile(r"([\u4e00-\u9fff]{1,14}?率)(?:达到|为)\s*100\s*[%％]")


def _ratio(text: str) -> tuple[dict[str, Any], str, tuple[str, ...]] | None:
    label: str | None = None
    how = ""
    for pattern in _RATIO_FORMULAS:
        match = pattern.search(text)
        if match:
            label, how = match.group(1), "得分 = 分值 × 比率"
            break
    if label is None:
        match = _PROPORTIONAL.search(text)
        if match:
            label, how = (_label(match.group(1)) or match.group(1) or "比率"), "100% 得满分，否则按比例得分"
    if label is None:
        match = _TARGET_FORMULA.search(text)
        if match and re.search(r"[=＝]\s*[（(]?.*?[/÷]", text):
            label, how = match.group(1), "只写目标 100% 与计算公式，按比例得分"
    if label is None:
        return None
    label = re.sub(r"^(?:指标|项目)?(?:分值|得分)?(?:等于|乘以|×)?", "", label) or label
    spec: dict[str, Any] = {"label": label}
    needs: tuple[str, ...] = ("rate",)
    if label in FUND_RATES:
        spec["rate"] = FUND_RATES[label]
        needs = ()
    return spec, how, needs


def _per_finding(text: str) -> tuple[dict[str, Any], str] | None:
    match = _PER.search(text)
    if not match:
        return None
    clause = _clauses(text[match.start():])[0]
    points = _points(clause)
    if not points:
        return None
    spec: dict[str, Any] = {"per": points[0]}
    cap = _cap(text)
    if cap is not None:
        spec["max_deduction"] = cap
    return spec, f"每{match.group(1)}扣 {points[0]} 分" + ("，扣完为止" if cap is None else f"，最多扣 {cap} 分")


def _missing(text: str) -> ReadRule | None:
    if re.search(r"无法提供(?:具体)?数值.{0,8}无说明.{0,4}得\s*0\s*分", text) and not re.search(r"满分|每", text):
        return _rule("missing", {}, text, "数值缺失且无说明，得 0 分")
    return None


def read_rule(text: str | None) -> ReadRule:
    """The engine rule a 评价标准 cell states (see the module docstring); ``judgment`` when it states none."""
    text = (text or "").strip()
    if not text:
        return _judgment(text, "评价标准为空")
    for reader in (_missing, _levels, _target, _upper, _tiers, _lateness):
        found = reader(text)
        if found is not None:
            return found
    ratio = _ratio(text)
    per = _per_finding(text)
    if ratio is not None and per is not None:
        base_spec, how, needs = ratio
        spec = {"base": {"type": "ratio", **base_spec}, **per[0]}
        return _rule("composite", spec, text, f"{how}，另{per[1]}", tuple(f"base.{need}" for need in needs))
    if ratio is not None:
        spec, how, needs = ratio
        return _rule("ratio", spec, text, how, needs)
    if per is not None:
        return _rule("per_finding", per[0], text, per[1], ("findings",))
    if re.search(r"[①②③④⑤]|[（(]\d[)）]", text):
        return _judgment(text, "评价标准只列评价要点，未写计分方法")
    return _judgment(text, "未找到可识别的计分表述")


def stated_percent(note: str, label: str) -> Decimal | None:
    """The percent a 评价说明 gives for ``label`` (``预算执行率95.91%``); the overall one when it lists several.

    The measured value a ratio rule needs, read the same way from a report's table and from a workbook's sheet."""
    key = label[-3:] if len(label) > 3 else label
    found: list[tuple[bool, Decimal]] = []
    for match in re.finditer(re.escape(key), note):
        after = note[match.end(): match.end() + 12]
        numbers = [n for n in find_numbers(after) if n.role == "quantity" and n.unit in ("%", "％")]
        if numbers and re.match(r"\s*(?:为|达到|达|是|：|:)?\s*$", after[: numbers[0].start]):
            overall = bool(re.search(r"整体|总体|综合|平均", note[max(0, match.start() - 6): match.start()]))
            found.append((overall, numbers[0].value))
    overall_values = [value for flag, value in found if flag]
    if overall_values:
        return overall_values[-1]
    values = {value for _, value in found}
    return found[0][1] if len(values) == 1 else None


def count_unit(criteria: str) -> str:
    """The unit a per-case rule counts in (``每发现一项…扣1分`` → 项); 例 when the wording names none."""
    match = re.search(r"每(?:发现|出现|存在|缺少|缺报|有)?\s*(?:一|1)\s*(例|项|处|次|个|份|条|起)", criteria)
    return match.group(1) if match else "例"


def stated_count(note: str, unit: str) -> tuple[int, bool] | None:
    """The number of cases a 评价说明 counts, and whether it is stated in its 扣分 sentence.

    ``以上问题合计共7例，扣1.4分`` → (7, True); ``合同后补3例、验收资料缺失1例，每例0.5分，扣2分`` → (4, True);
    a count only in an earlier sentence → (n, False). Read the same way from a report's table and a workbook's sheet.
    """
    deduct = re.search(r"扣\s*[0-9.]+\s*分", note)
    limit = deduct.start() if deduct else len(note)
    sentence_start = max(note.rfind(mark, 0, limit) for mark in "。；;") + 1
    counts = [n for n in find_numbers(note[:limit]) if n.role == "quantity" and n.unit == unit and not n.decimals]
    if not counts:
        return None
    here = [n for n in counts if n.start >= sentence_start]
    if here:
        totals = [n for n in here if note[max(0, n.start - 2): n.start].endswith(("共", "共计", "合计"))]
        if totals:
            return int(totals[-1].value), True
        return int(sum(n.value for n in here)), True
    return int(counts[-1].value), False
