"""The claim guard, beside the number guard: every body sentence is traced to where its claim comes from.

A sentence is traced to the case (it repeats a case text field: a finding's
description, cause, issue, an indicator's reason or note, the project facts),
to a placeholder (【请补充…】), to a norm (a title or document number on the
allow-list), or to the template's own connectives. Three things are
violations:

* a name the case lacks: a place (…省/市/县/州), an organisation (…局/委员会/
  办公室/中心/公司/政府) or a title 《…》 that occurs in no text field of the
  case and is not an allowed norm;
* a 主要原因 sentence that is neither traced to a case field nor marked
  【请补充原因】 (a cause from another report read as a finding about this one);
* a sentence of 15 characters or more that a precedent document contains and
  the case does not (a precedent sentence that reached the body untraced).

Mechanical and conservative: names are found by suffix, cut at function
characters (对、由、在…), and accepted when the case's text contains them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from assistant.models import ClaimTrace, ClaimViolation, Draft, Paragraph
from assistant.precedents import SearchesPrecedents
from scoring.models import Case
from scoring.tree import walk

#: Norms a draft may cite without the case naming them.
NORMS = (
    "《中华人民共和国预算法》", "《预算法》", "《中华人民共和国政府采购法》", "《政府采购法》", "《中华人民共和国政府采购法实施条例》",
    "《政府采购法实施条例》", "《中华人民共和国招标投标法》", "《招标投标法》", "《中华人民共和国民法典》", "《民法典》",
    "《项目支出绩效评价管理办法》", "《中共中央 国务院关于全面实施预算绩效管理的意见》", "《行政事业单位国有资产管理办法》",
    "《政府购买服务管理办法》", "《会计档案管理办法》", "财预〔2020〕10号", "中发〔2018〕34号", "财政部令第102号",
)
MIN_COPIED = 15
_CJK = "\u4e00-\u9fff"
_PLACE = re.compile(f"[{_CJK}]{{2,12}}?(?:省|市|县|州)(?![{_CJK}]*?(?:级|直|场|民|长|委|区县))")
_ORG = re.compile(f"[{_CJK}]{{2,24}}?(?:局|委员会|办公室|中心|公司|政府)(?!采购|投资|购买|信息|部门|债|性|工作|职能)")
_TITLE = re.compile(r"《[^《》]{1,60}》")
_DOC_NO = re.compile(r"[\u4e00-\u9fff]{1,6}〔\d{4}〕\d+号")
# Characters after which a name starts: 「受永州市财政局委托」→ 永州市财政局.
_STOP = set("对由在与和及向经受为是了将把从自于等其该各的按据依至截并或被给让使即")
# Generic words ending like names that are not names.
_GENERIC = ("全省", "全市", "全县", "各市", "各县", "地级市", "县级市", "市州", "本市", "本县", "该市", "该县", "城市", "超市", "省市", "市县",
            "数据中心", "指挥中心", "服务中心", "政务中心", "运维中心", "机房中心", "运营中心", "管理中心", "控制中心", "人民政府", "地方政府", "各级政府", "政府")
_PLACEHOLDER = "【请补充"
_CAUSE = "主要原因"


def case_text(case: Case) -> str:
    """Every text field of the case joined: what a name or a claim may be found in."""
    parts: list[str] = []

    def fields(model: BaseModel) -> Iterator[str]:
        for name in type(model).model_fields:
            value = getattr(model, name)
            if isinstance(value, str):
                yield value
            elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
                yield from value

    parts.extend(fields(case.project))
    for line in case.funds.lines:
        parts.extend(fields(line))
    for item in walk(case.indicators):
        parts.append(item.node.name)
        parts.extend(filter(None, [item.node.note]))
        if item.node.rule is not None:
            parts.extend(v for _, v in item.node.rule if isinstance(v, str))
    for finding in case.findings:
        parts.extend(fields(finding))
    return "\n".join(parts)


def _trim(candidate: str) -> str:
    """The name inside a suffix match: cut after the last function character."""
    for i in range(len(candidate) - 2, -1, -1):
        if candidate[i] in _STOP:
            return candidate[i + 1:]
    return candidate


_MARKED = re.compile(r"【[^】]*】")


def names_in(text: str) -> list[str]:
    """Place, organisation and title names a sentence states (conservative: suffix patterns, trimmed);
    text inside 【…】 is the evaluator's to check, not a claim."""
    found: list[str] = []
    text = _MARKED.sub("", text)
    for match in _TITLE.finditer(text):
        found.append(match.group(0))
    for match in _DOC_NO.finditer(text):
        found.append(_trim(match.group(0)))
    bare = _TITLE.sub("", text)
    for pattern in (_ORG, _PLACE):
        for match in pattern.finditer(bare):
            name = _trim(match.group(0))
            if len(name) >= 3 and name not in _GENERIC and not any(name.endswith(g) and len(name) - len(g) <= 1 for g in _GENERIC):
                found.append(name)
    return list(dict.fromkeys(found))


def _known(name: str, text: str) -> bool:
    if name in text or any(name in norm or norm in name for norm in NORMS):
        return True
    # 「市财政局」 in a case that writes 永州市财政局 or 市财政局: the level prefix is shorthand.
    return name[0] in "省市县区州" and name[1:] in text and len(name) >= 4


def _ngrams(text: str, n: int) -> set[str]:
    return {text[i:i + n] for i in range(len(text) - n + 1)}


def _clean(sentence: str) -> str:
    return re.sub(r"^\s*(?:[一二三四五六七八九十]+是|同时，)", "", sentence).strip().rstrip("。；;，, ")


class ClaimChecker:
    """Checks a draft's body sentences against one case (and the precedent index, when there is one)."""

    def __init__(self, case: Case, index: SearchesPrecedents | None = None) -> None:
        self.text = case_text(case)
        self.grams = _ngrams(self.text, 10)
        self.index = index

    def from_case(self, sentence: str) -> bool:
        """Whether the sentence repeats a case text (any 10 characters in a row of it are the case's)."""
        return any(sentence[i:i + 10] in self.grams for i in range(len(sentence) - 9))

    def source(self, sentence: str) -> str:
        if _PLACEHOLDER in sentence:
            return "placeholder"
        if self.from_case(sentence):
            return "case"
        if any(norm in sentence for norm in NORMS):
            return "norm"
        return "template"

    def copied(self, sentence: str) -> Any:
        """The precedent passage that contains this sentence, if any (the case's own text excepted)."""
        core = _clean(sentence)
        if self.index is None or len(core) < MIN_COPIED or self.from_case(core):
            return None
        try:
            hits = self.index.search(core, k=3, mode="keyword")
        except TypeError:  # a source without modes
            hits = self.index.search(core, k=3)
        return next((hit for hit in hits if core in re.sub(r"\s+", "", hit.text)), None)

    def paragraph(self, paragraph: Paragraph) -> tuple[list[str], list[ClaimViolation]]:
        sources: list[str] = []
        violations: list[ClaimViolation] = []
        for sentence in paragraph.sentences:
            text = sentence.text
            source = self.source(text)
            sources.append(source)
            for name in names_in(text):
                if not _known(name, self.text):
                    violations.append(ClaimViolation(text=name, kind="name", reason=f"名称“{name}”不在案例中（地名、机构名或文件名须来自案例，或为允许引用的规范）"))
            if paragraph.style == "body" and _CAUSE in text and source not in ("case", "placeholder"):
                violations.append(ClaimViolation(text=text, kind="untraced", reason="原因未见于案例：“主要原因”须取自案例字段（问题原因、问题描述），否则写【请补充原因】"))
            if paragraph.style == "body":
                hit = self.copied(text)
                if hit is not None:
                    violations.append(ClaimViolation(text=text, kind="precedent", reason=f"照搬先例的句子（见《{hit.citation.title}》），案例中没有这一事实"))
        return sources, violations


def check_claims(draft: Draft, case: Case, index: SearchesPrecedents | None = None) -> tuple[int, list[ClaimViolation], list[ClaimTrace]]:
    """(sentences checked, violations, traces) over every paragraph of every section."""
    checker = ClaimChecker(case, index)
    checked, violations, traces = 0, [], []
    for section in draft.sections:
        for number, paragraph in enumerate(section.paragraphs):
            sources, found = checker.paragraph(paragraph)
            checked += len(sources)
            traces.extend(ClaimTrace(section=section.name, paragraph=number, sentence=i, source=s) for i, s in enumerate(sources))  # type: ignore[arg-type]
            violations.extend(v.model_copy(update={"section": section.name, "paragraph": number}) for v in found)
    return checked, violations, traces


def repair_claims(draft: Draft) -> tuple[Draft, int]:
    """Mark what the claim guard found, as invented figures are marked: an untraced cause becomes
    【请补充原因】 and is offered beside the paragraph; a name the case lacks is bracketed 【名称待核实：…】;
    a sentence copied from a precedent is bracketed 【与先例相同，案例中无此事实，请核实：…】. Returns (draft, marks)."""
    from assistant.models import Offer

    guard = draft.guard
    if guard is None or not guard.claim_violations:
        return draft, 0
    marks = 0
    sections = []
    for section in draft.sections:
        paragraphs = []
        for number, paragraph in enumerate(section.paragraphs):
            found = [v for v in guard.claim_violations if v.section == section.name and v.paragraph == number]
            if not found:
                paragraphs.append(paragraph)
                continue
            offers = list(paragraph.offers)
            sentences = []
            for sentence in paragraph.sentences:
                text = sentence.text
                for violation in found:
                    if violation.kind == "untraced" and violation.text == text:
                        cause = re.sub(r"^.*?主要原因(?:是|为|：|:)?", "", text).rstrip("。；; ")
                        offers.append(Offer(text=cause, kind="cause", nature=section.name))
                        text = re.sub(r"主要原因.*$", "主要原因是【请补充原因】。", text)
                        marks += 1
                    elif violation.kind == "precedent" and violation.text == text:
                        text = f"【与先例相同，案例中无此事实，请核实：{text.rstrip('。')}】。"
                        marks += 1
                    elif violation.kind == "name" and violation.text in text and "【" not in violation.text:
                        text = re.sub(f"(?<!【名称待核实：){re.escape(violation.text)}", f"【名称待核实：{violation.text}】", text, count=1)
                        marks += 1
                sentences.append(sentence.model_copy(update={"text": text, "figures": []}))
            paragraphs.append(paragraph.model_copy(update={"sentences": sentences, "offers": offers}))
        sections.append(section.model_copy(update={"paragraphs": paragraphs}))
    return draft.model_copy(update={"sections": sections}), marks


__all__ = ["NORMS", "ClaimChecker", "case_text", "check_claims", "names_in", "repair_claims"]
