"""Case edits the chat proposes and, once confirmed, applies: add a finding, correct one, rewrite a cause.

A proposal is plain data (``{"op": "add_finding", "finding": {...}}``) kept in the
answer's payload; :func:`apply` turns it into the changed case data. Nothing
here writes anywhere: the workspace stores the result through the session store.
"""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import Any

from scoring import Case
from scoring.results import ScoreResult

CN_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def cn_int(text: str) -> int | None:
    """「3」「三」「十二」「二十」 → int; None when it is not a number."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in CN_DIGITS and c != "十" for c in text):
        return None
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (CN_DIGITS.get(ones, 0) if ones else 0)
    return CN_DIGITS.get(text)


def ordinal(message: str, noun: str) -> int | None:
    """The N of 「第N<noun>」 (noun a regular expression: 个?问题, 段, 条)."""
    match = re.search(rf"第([一二两三四五六七八九十\d]+)\s*(?:{noun})", message)
    return cn_int(match.group(1)) if match else None


#: Words of a finding sentence and the 问题定性 they suggest when the case has no closer one.
NATURES: tuple[tuple[str, str], ...] = (
    ("验收", "项目验收不及时"),
    ("拨付|支付|付款", "资金拨付不及时"),
    ("采购|招标|比选", "政府采购管理不规范"),
    ("合同", "合同管理不规范"),
    ("档案|资料|台账", "档案管理不完善"),
    ("绩效目标|指标值", "绩效目标设置不合理"),
    ("进度|滞后|延期|推迟|未完成", "项目实施进度滞后"),
    ("满意度|投诉", "服务满意度有待提升"),
)
_PROJECT = re.compile(r"([\u4e00-\u9fff“”\"A-Za-z0-9（）()+·]{2,40}?(?:项目|工程|系统|平台|中心))")
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*万元")
_LEAD = re.compile(r"^.*?(?:再加一条|加一条|新增一条|增加一条|补充一条|添加一条|再补一条|新增(?:一个)?问题|增加(?:一个)?问题|加一个问题|还有一个问题|漏了一条)[：:，,\s]*")


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def parse_finding(message: str, case: Case, result: ScoreResult) -> dict[str, Any]:
    """A finding from an evaluator's sentence: project, 定性, description, amount and the leaf it is charged to."""
    sentence = _LEAD.sub("", message).strip().rstrip("。！!") or message.strip()
    known = sorted({*(f.project for f in case.findings if f.project), *(line.name for line in case.funds.lines)}, key=len, reverse=True)
    project = next((name for name in known if name in sentence), None)
    if project is None:
        ending = re.search(r"([\u4e00-\u9fff“”\"A-Za-z0-9（）()+·]{2,40}项目)", sentence) or _PROJECT.search(sentence)
        project = ending.group(1).lstrip("某") if ending else None
        if project in ("某项目", "项目", ""):
            project = None

    def closest(words: set[str]) -> str | None:
        best, found = 1, None
        for existing in dict.fromkeys(f.nature for f in case.findings):
            overlap = len(_bigrams(existing) & words)
            if overlap > best:
                best, found = overlap, existing
        return found

    words = _bigrams(sentence)
    nature = closest(words)
    if nature is None:
        label = next((label for cue, label in NATURES if re.search(cue, sentence)), None)
        nature = (closest(_bigrams(label)) or label) if label else sentence[:20]
    indicator = next((f.indicator for f in case.findings if f.nature == nature and f.indicator), None)
    if indicator is None:
        leaves = [n for n in result.nodes if n.is_leaf]
        scored = sorted(((len(_bigrams(n.name) & (words | _bigrams(nature))), n.name) for n in leaves), reverse=True)
        indicator = scored[0][1] if scored and scored[0][0] > 0 else None
    finding: dict[str, Any] = {"nature": nature, "description": sentence + "。"}
    if project:
        finding["project"] = project
    if indicator:
        finding["indicator"] = indicator
    amount = _AMOUNT.search(sentence)
    if amount:
        finding["amount"] = amount.group(1)
    finding["id"] = str(len(case.findings) + 1)
    return finding


#: Words naming a finding's field in 「第3条问题的金额改为…」.
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("金额", "amount", "涉及金额"),
    ("单位", "unit", "项目单位"),
    ("子项目|项目名称|项目", "project", "项目"),
    ("定性|性质|问题类型", "nature", "问题定性"),
    ("指标|挂到|归到|计入", "indicator", "扣分指标"),
    ("原因", "cause", "问题原因"),
    ("具体问题|问题名称", "issue", "具体问题"),
    ("描述|内容|情况", "description", "问题描述"),
)
_NEW_VALUE = re.compile(r"(?:改为|改成|应为|应该是|更正为|纠正为|换成|写成|挂到|归到|计入)[：:“\"「]?(.+?)[”\"」]?[。！!]?$")


def parse_correction(message: str, case: Case) -> dict[str, Any] | None:
    """``{"op": "correct_finding", "index", "field", "label", "old", "new"}`` from 「第3条问题的金额改为200万元」."""
    number = ordinal(message, "条|项|个事例")
    value = _NEW_VALUE.search(message)
    if number is None or value is None or not 1 <= number <= len(case.findings):
        return None
    head = message[: value.start()]
    field_name, label = "description", "问题描述"
    for cue, name, text in FIELDS:
        if re.search(cue, head.split("条", 1)[-1]):
            field_name, label = name, text
            break
    new: str = value.group(1).strip()
    if field_name == "amount":
        amount = _AMOUNT.search(new) or re.search(r"(\d+(?:\.\d+)?)", new)
        if amount is None:
            return None
        new = amount.group(1)
    old = getattr(case.findings[number - 1], field_name)
    return {"op": "correct_finding", "index": number - 1, "field": field_name, "label": label, "old": None if old is None else str(old), "new": new}


def apply(case_data: dict[str, Any], proposal: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(changed case data, the change as recorded in the history)."""
    data = copy.deepcopy(case_data)
    findings: list[dict[str, Any]] = data.setdefault("findings", [])
    op = proposal["op"]
    if op == "add_finding":
        findings.append(dict(proposal["finding"]))
        return data, {"op": op, "index": len(findings) - 1, "finding": proposal["finding"]}
    if op == "correct_finding":
        target = findings[proposal["index"]]
        value: Any = str(Decimal(proposal["new"])) if proposal["field"] == "amount" else proposal["new"]
        target[proposal["field"]] = value
        return data, {k: proposal[k] for k in ("op", "index", "field", "old", "new")}
    if op == "set_cause":
        for index in proposal["indices"]:
            findings[index]["cause"] = proposal["cause"]
        return data, {k: proposal[k] for k in ("op", "problem", "nature", "indices", "cause")}
    raise ValueError(f"unknown change {op!r}")
