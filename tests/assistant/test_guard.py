"""The number guard on real cases: correct figures pass, changed or invented ones are caught with the nearest legal figure."""

from __future__ import annotations

from decimal import Decimal
from functools import cache

import pytest
from conftest import CASES, seed_path

from assistant.figures import Figure, FigureBook
from assistant.guard import check_draft, check_text, trace_figures
from assistant.models import Draft, Paragraph, Section, Sentence
from scoring import Case, load_case, score_case
from scoring.numparse import find_numbers

CORRECT = "项目总分82.46分，等级为良；预算执行率95.91%，得1.92分；制度执行有效性发现13例问题，扣2.6分。"

#: The problems section of each seed: (seed, heading, next heading).
PROBLEM_SECTIONS = [
    ("000", "六、存在问题及原因分析", "七、对策建议"),
    ("001", "六、存在的问题", "七、相关建议"),
    ("002", "六、存在问题及原因分析", "七、有关建议"),
    ("004", "六、主要问题", "七、相关建议"),
]


@cache
def book_for(seed: str) -> FigureBook:
    case = load_case(CASES / f"seed_{seed}.yaml")
    return FigureBook.from_case(case, score_case(case))


def section_text(seed: str, heading: str, next_heading: str) -> str:
    text = seed_path(seed).read_text(encoding="utf-8")
    start = text.index(heading)
    return text[start:text.index(next_heading, start)]


def case_with_findings(descriptions: list[str]) -> Case:
    """A one-leaf case whose problem list carries ``descriptions``: their numbers are facts of the case."""
    return Case.model_validate(
        {
            "project": {"name": "测试项目"},
            "indicators": [{"name": "指标", "weight": 100, "rule": {"type": "judgment"}}],
            "findings": [{"nature": "问题", "description": text, "indicator": "指标"} for text in descriptions],
        }
    )


def book_of(case: Case) -> FigureBook:
    return FigureBook.from_case(case, score_case(case))


def one_violation(text: str, book: FigureBook) -> tuple[str, str, str | None]:
    violations = check_text(text, book)
    assert len(violations) == 1, [(v.text, v.reason) for v in violations]
    found = violations[0]
    assert text[found.start:found.end] == found.text
    return found.text, found.reason, found.nearest


# ── the cases on seed 004 ───────────────────────────────────────────


def test_correct_sentence_passes() -> None:
    assert check_text(CORRECT, book_for("004")) == []


@pytest.mark.parametrize(
    ("wrong", "right", "flagged", "nearest"),
    [
        ("82.46分", "82.64分", "82.64", "82.46（总分）"),
        ("95.91%", "97.5%", "97.5%", "95.91%（预算执行率）"),
        ("13例", "15例", "15", "13（制度执行有效性问题条数）"),
        ("扣2.6分", "扣2.8分", "2.8", "2.60（制度执行有效性扣分）"),
    ],
)
def test_changed_figure_is_caught_with_nearest(wrong: str, right: str, flagged: str, nearest: str) -> None:
    text, reason, found_nearest = one_violation(CORRECT.replace(wrong, right), book_for("004"))
    assert text == flagged
    assert reason.startswith(f"数字 {flagged} 不是评分模块算出的数字")
    assert found_nearest == nearest


def test_wrong_amount_is_caught() -> None:
    text, reason, nearest = one_violation("截至2024年3月底，实际支出5191.01万元。", book_for("004"))
    assert text == "5191.01"
    assert "万元" in reason
    assert nearest == "5191.10万元（实际支出）"


def test_invented_date_is_caught_but_case_dates_pass() -> None:
    book = book_for("004")
    text, reason, nearest = one_violation("该项目于2021年5月3日启动等保测评。", book)
    assert text == "2021年5月3日"
    assert "日期不在案例中" in reason
    assert nearest is not None and nearest.startswith("2021年5月")
    assert check_text("该项目于2021年5月启动等保测评，截至2024年3月27日仍未支付。", book) == []
    assert [v.text for v in check_text("2030年完成整改。", book)] == ["2030年"]


def test_documents_titles_ordinals_and_codes_are_never_violations() -> None:
    text = (
        "根据《“十四五”推进国家政务信息化规划》和《湖南省2011年省级政府集中采购目录》（湘财绩〔2030〕77号），"
        "一是推进“一网通办”，二是完成IPV6改造和5G覆盖，依托12345热线；（三）见附件2、表3-1，第十三条。"
    )
    assert check_text(text, book_for("004")) == []


# ── precision on the seeds' own problems sections ───────────────────────────


@pytest.mark.parametrize(("seed", "heading", "next_heading"), PROBLEM_SECTIONS)
def test_problems_section_passes_when_fed_as_the_case(seed: str, heading: str, next_heading: str) -> None:
    text = section_text(seed, heading, next_heading)
    book = book_of(case_with_findings(text.splitlines()))
    assert check_text(text, book) == []


@pytest.mark.parametrize(("seed", "heading", "next_heading"), [s for s in PROBLEM_SECTIONS if s[0] != "002"])
def test_problems_section_passes_against_the_real_case_file(seed: str, heading: str, next_heading: str) -> None:
    assert check_text(section_text(seed, heading, next_heading), book_for(seed)) == []


def test_a_changed_number_in_a_seed_section_is_caught() -> None:
    text = section_text("004", "六、主要问题", "七、相关建议")
    assert "在线率71.73%" in text and "社情民意3401条" in text
    changed = text.replace("在线率71.73%", "在线率77.13%").replace("社情民意3401条", "社情民意3410条")
    found = check_text(changed, book_for("004"))
    assert [v.text for v in found] == ["3410", "77.13%"]
    assert found[0].nearest is not None and found[0].nearest.startswith("3401条")
    assert found[1].nearest is not None and found[1].nearest.startswith("71.73%")


def test_a_changed_year_in_a_fed_section_is_caught() -> None:
    text = section_text("002", "六、存在问题及原因分析", "七、有关建议")
    book = book_of(case_with_findings(text.splitlines()))
    found = check_text(text.replace("总结 2023 年", "总结 2021 年"), book)
    assert [v.text for v in found] == ["2021 年"]
    assert "日期不在案例中" in found[0].reason


# ── matching rules ──────────────────────────────────────────────────────────


def first_quantity(text: str):  # type: ignore[no-untyped-def]
    return next(n for n in find_numbers(text) if n.role == "quantity")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("总分82.5分", "total"),  # one decimal written: 82.46 rounds to it
        ("总分82.4600分", "total"),
        ("资金支出0.52亿元", "funds:spent"),  # 5191.10 万元 in 亿元, two decimals
        ("支付1169910元", "case:findings[12].amount"),  # 116.991 万元 in 元
        ("得分率96%", None),  # 96.00 % is the 预算执行率 node's rate; any rate that rounds to it
        ("扣1分", None),
    ],
)
def test_same_rounding_rule_matches(text: str, key: str | None) -> None:
    figure = book_for("004").match(first_quantity(text), text)
    assert figure is not None
    if key is not None:
        assert figure.key == key


@pytest.mark.parametrize("text", ["总分82.50分", "总分82.47分", "扣2.7分", "发现12.5例", "执行率1.92%", "合计0.5192亿元"])
def test_same_rounding_rule_rejects(text: str) -> None:
    assert book_for("004").match(first_quantity(text), text) is None


def test_whole_numbers_are_exact_except_rates_and_large_units() -> None:
    book = FigureBook(
        [
            Figure("d", "扣分", Decimal("2.60"), "score", "2.60"),
            Figure("r", "满意度", Decimal("94.42"), "percent", "94.42%"),
            Figure("n", "点位", Decimal("79622"), "count", "79622个"),
        ]
    )
    assert book.match(first_quantity("扣3分")) is None  # a deduction of 2.60 is not "3 分"
    assert book.match(first_quantity("扣2.6分")).key == "d"  # type: ignore[union-attr]
    assert book.match(first_quantity("满意度94%")).key == "r"  # type: ignore[union-attr]
    assert book.match(first_quantity("约8万个")).key == "n"  # type: ignore[union-attr]
    assert book.match(first_quantity("7.96万个")).key == "n"  # type: ignore[union-attr]
    assert book.match(first_quantity("7.97万个")) is None


def test_percent_matches_rates_only_and_counts_match_counts() -> None:
    book = book_for("004")
    assert all(f.measure in ("percent", None) for f in book.matches(first_quantity("比例56.67%")))
    assert all(f.measure in ("count", None) for f in book.matches(first_quantity("共39条")))
    assert book.match(first_quantity("共39条")).key == "findings:total"  # type: ignore[union-attr]


def test_book_holds_counts_bands_rules_and_case_facts() -> None:
    book = book_for("004")
    values = {key: book.get(key).value for key in (  # type: ignore[union-attr]
        "findings:total", "findings:natures", "findings:nature:政府采购管理不规范", "findings:nature:合同管理不规范:projects",
        "grading:良:min", "rule:项目过程/组织实施/制度执行有效性:per", "funds.lines[2]:balance", "total_rate",
    )}
    assert values == {
        "findings:total": 39, "findings:natures": 8, "findings:nature:政府采购管理不规范": 6,
        "findings:nature:合同管理不规范:projects": 3, "grading:良:min": 80,
        "rule:项目过程/组织实施/制度执行有效性:per": Decimal("0.2"), "funds.lines[2]:balance": Decimal("29.59"),
        "total_rate": Decimal("82.46"),
    }
    assert book.get("total").audit == "12.50 + 12.32 + 31.20 + 26.44 = 82.46"  # type: ignore[union-attr]
    assert {2016, 2017, 2019, 2024, 2025} <= book.years  # finding texts and the evaluation period
    assert (2019, 11, 14) in book.dates
    assert book.get("node:项目产出/产出成本/资金节约率:deduction") is None  # full marks: no deduction figure


def test_every_text_field_of_a_finding_is_a_fact() -> None:
    case = Case.model_validate(
        {
            "project": {"name": "测试项目", "period": "2024年5月至6月"},
            "indicators": [{"name": "指标", "weight": 10, "rule": {"type": "judgment"}}],
            "findings": [{"nature": "合同管理不规范", "cause": "2022年9月起人员减少3名，合同审核滞后", "indicator": "指标"}],
        }
    )
    book = book_of(case)
    assert check_text("主要原因是2022年9月起人员减少3名；评价于2024年6月开展。", book) == []
    assert [v.text for v in check_text("人员减少4名。", book)] == ["4"]


def test_stated_figures_are_not_legal() -> None:
    """The sample case states 预算执行率 81.97 % on purpose: a figure the engine does not compute."""
    case = load_case(CASES.parent.parent.parent / "corpus" / "cases" / "sample_case.yaml")
    book = book_of(case)
    assert [v.text for v in check_text("预算执行率81.97%。", book)] == ["81.97%"]
    assert check_text("预算执行率85.96%。", book) == []


def test_prompt_table() -> None:
    rows = book_for("004").prompt_table()
    assert rows[0] == {"key": "grade", "label": "等级", "value": "良", "audit": ""}
    by_key = {row["key"]: row for row in rows}
    assert by_key["total"]["value"] == "82.46"
    assert by_key["funds:execution_rate"]["value"] == "95.91%"
    assert by_key["node:项目过程/资金管理/预算执行率:score"]["audit"] == "预算执行率 = 5191.10 / 5412.69 = 95.91%；2 × 95.91% = 1.92"
    assert all(set(row) == {"key", "label", "value", "audit"} for row in rows)
    assert not any(row["key"].startswith("case:") for row in rows)


# ── drafts ──────────────────────────────────────────────────────────────────


def draft_of(*paragraphs: list[str]) -> Draft:
    return Draft(
        project="2023年永州市公共服务信息化运维项目",
        section="problems",
        backend="template",
        sections=[
            Section(
                name="problems",
                title="五、存在的问题及原因分析",
                paragraphs=[Paragraph(sentences=[Sentence(text=text) for text in sentences]) for sentences in paragraphs],
            )
        ],
    )


def test_check_draft_locates_violations() -> None:
    draft = draft_of(["（一）制度执行不到位"], ["项目总分82.46分。", "制度执行有效性发现15例问题，扣2.6分。"])
    result = check_draft(draft, book_for("004"))
    assert not result.ok
    assert result.checked == 3  # 82.46, 15 and 2.6; the heading's （一） is an ordinal
    [violation] = result.violations
    assert (violation.section, violation.paragraph, violation.text) == ("problems", 1, "15")
    paragraph_text = draft.sections[0].paragraphs[1].text
    assert paragraph_text[violation.start:violation.end] == "15"
    assert check_draft(draft_of([CORRECT]), book_for("004")).ok


def test_trace_figures_fills_sentence_figures() -> None:
    draft = draft_of(["项目总分82.46分，等级为良；", "预算执行率95.91%，得1.92分。", "另有2021年5月启动的测评。"])
    traced = trace_figures(draft, book_for("004"))
    first, second, third = traced.sections[0].paragraphs[0].sentences
    assert [(f.text, f.key) for f in first.figures] == [("82.46", "total")]
    assert [(f.text, f.key) for f in second.figures] == [
        ("95.91%", "funds:execution_rate"),
        ("1.92", "node:项目过程/资金管理/预算执行率:score"),
    ]
    rate = second.figures[0]
    assert second.text[rate.start:rate.end] == "95.91%"
    assert second.figures[1].audit == "预算执行率 = 5191.10 / 5412.69 = 95.91%；2 × 95.91% = 1.92"
    assert third.figures == []  # dates are facts, not figures
    assert draft.sections[0].paragraphs[0].sentences[0].figures == []  # the input is not modified
