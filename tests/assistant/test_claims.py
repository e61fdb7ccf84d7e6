"""The claim guard and grounded drafts on the real seeds: no borrowed sentences, no foreign names, causes from the case."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient

from api.app import create_app
from conftest import CASES, ROOT
from assistant.claims import ClaimChecker, check_claims, names_in
from assistant.drafting import draft_case
from assistant.export_docx import export_docx
from assistant.models import Draft, Paragraph, Sentence
from assistant.problems import group_problems
from core.settings import load_settings
from retrieval.embedders import HashEmbedder
from retrieval.index import PrecedentIndex
from scoring import Case, load_case, score_case
from scoring.io import case_to_data
from workspace.workspace import Workspace

SAMPLE = ROOT / "corpus" / "cases" / "sample_case.yaml"
CASE_FILES = [CASES / "seed_004.yaml", CASES / "seed_000.yaml", SAMPLE]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> PrecedentIndex:
    index = PrecedentIndex(tmp_path_factory.mktemp("claims-home"), HashEmbedder())
    index.ingest([ROOT / "corpus" / "reports"])
    return index


@pytest.fixture(scope="module")
def passages(index: PrecedentIndex) -> list[str]:
    """The text of every indexed precedent passage, whitespace removed."""
    texts = []
    for doc_id in index.catalog():
        ordinal = 0
        while (hit := index.passage(doc_id, ordinal)) is not None:
            texts.append(re.sub(r"\s+", "", hit.text))
            ordinal += 1
    assert len(texts) > 100
    return texts


def body_sentences(draft: Draft) -> list[str]:
    return [s.text for sec in draft.sections for p in sec.paragraphs if p.style == "body" for s in p.sentences]


def core(sentence: str) -> str:
    return re.sub(r"^\s*(?:[一二三四五六七八九十]+是|同时，)", "", sentence).strip().rstrip("。；;，, ")


@pytest.mark.parametrize("case_path", CASE_FILES, ids=lambda p: p.stem)
def test_report_body_borrows_no_precedent_sentence_and_no_foreign_name(case_path: Path, index: PrecedentIndex, passages: list[str]) -> None:
    case = load_case(case_path)
    draft = draft_case(case, "report", index=index)
    assert draft.guard is not None and draft.guard.ok, (draft.guard.violations[:3], draft.guard.claim_violations[:3])
    assert draft.guard.claims_checked > 50
    checker = ClaimChecker(case)
    sentences = body_sentences(draft)
    copied = [s for s in sentences if len(core(s)) >= 15 and any(core(s) in text for text in passages) and not checker.from_case(core(s))]
    assert not copied
    for sentence in sentences:
        for name in names_in(sentence):
            assert name in checker.text or any(name in norm for norm in ("《项目支出绩效评价管理办法》", "财预〔2020〕10号", "《政府采购法》")), name
    causes = [s for s in sentences if "主要原因" in s]
    assert causes and all("【请补充原因】" in s or checker.from_case(s) for s in causes)
    # offered phrasings are beside the body, never in it
    offers = [o.text for sec in draft.sections for p in sec.paragraphs for o in p.offers]
    assert offers and not any(o in s for o in offers for s in sentences)


def test_seed_004_borrowed_cause_and_foreign_names_are_violations(index: PrecedentIndex) -> None:
    case = load_case(CASES / "seed_004.yaml")
    draft = draft_case(case, "problems", index=index)
    section = draft.sections[0]
    borrowed = Paragraph(sentences=[
        Sentence(text="永州市政府门户网站运维验收不及时。"),
        Sentence(text="主要原因是部分场景需求调研不够充分，开发过程中多次调整业务规则。"),  # another city's software project
        Sentence(text="建议与长沙市住房和城乡建设局建立施工信息通报机制。"),
        Sentence(text="依据《智慧城市运营管理办法》执行。"),
    ])
    bad = draft.model_copy(update={"sections": [section.model_copy(update={"paragraphs": [*section.paragraphs, borrowed]})]})
    _, violations, traces = check_claims(bad, case, index)
    kinds = {(v.kind, v.text) for v in violations}
    assert ("untraced", "主要原因是部分场景需求调研不够充分，开发过程中多次调整业务规则。") in kinds
    assert ("precedent", "主要原因是部分场景需求调研不够充分，开发过程中多次调整业务规则。") in kinds  # it is a corpus sentence
    assert ("name", "长沙市") in kinds and ("name", "城乡建设局") in kinds and ("name", "《智慧城市运营管理办法》") in kinds
    assert not any("永州市政府" in v.text for v in violations)  # the case's own names pass
    assert {t.source for t in traces} >= {"case", "template", "placeholder"}


def test_seed_004_examples_lead_with_the_most_serious_finding(index: PrecedentIndex) -> None:
    case = load_case(CASES / "seed_004.yaml")
    problems = {p.nature: p for p in group_problems(case, score_case(case))}
    # 政府采购: the 3355 万元 云计算服务项目 that should have been publicly tendered, not the 48.6 万元 门户网站
    assert problems["政府采购管理不规范"].findings[0].id == "23"
    assert problems["合同管理不规范"].findings[0].amount == Decimal("116.991")  # the only finding with an amount
    for problem in problems.values():
        if problem.findings:
            first = problem.findings[0]
            assert (first.amount or 0) == max(f.amount or 0 for f in problem.findings)
            if not any(f.amount for f in problem.findings):
                assert problem.costs[0] == max(c for f, c in zip(problem.findings, problem.costs) if not f.waived)
    draft = draft_case(case, "problems", index=index)
    paragraph = next(p.text for p in draft.sections[0].paragraphs if p.style == "body" and "政府采购管理不规范的问题" in p.text)
    assert paragraph.index("100万元以上服务项目应公开招标") < paragraph.index("二是")
    assert "共6例" in paragraph and "附件“问题清单”" in paragraph
    assert "评价组在资料核查和现场调研中发现" not in draft.markdown() and "问题清单共列" not in draft.markdown()
    # the problem that exists only as a deduction (the real report's problem (一))
    leaf = next(p.text for p in draft.sections[0].paragraphs if p.style == "body" and "对环境破坏率" in p.text)
    assert "“绩效目标合理性”指标分值3分，得2.50分" in leaf and "【请补充原因】" in leaf
    # the same leaf's score is given once, not under every problem it touches
    assert draft.markdown().count("“制度执行有效性”（分值6分，得3.40分）") == 1
    # budget-line names are not running text
    assert "2023年第一批地方政府新增债务限额（一般债券）-" not in draft.markdown()


def test_framework_order_is_selectable() -> None:
    case = load_case(CASES / "seed_004.yaml")
    result = score_case(case)
    by_points = group_problems(case, result)
    by_framework = group_problems(case, result, order="framework")
    assert sorted(p.nature for p in by_points) == sorted(p.nature for p in by_framework)
    categories = [c.path for c in result.categories]

    def rank(problem):  # type: ignore[no-untyped-def]
        return min(i for leaf in problem.leaves for i, c in enumerate(categories) if leaf.path.startswith(c + "/"))

    assert [rank(p) for p in by_framework] == sorted(rank(p) for p in by_framework)


@pytest.mark.parametrize("case_path", CASE_FILES, ids=lambda p: p.stem)
def test_suggestions_one_per_problem_no_two_share_a_sentence(case_path: Path, index: PrecedentIndex) -> None:
    case = load_case(case_path)
    draft = draft_case(case, "suggestions", index=index)
    problems = group_problems(case, score_case(case))
    body = [p for s in draft.sections for p in s.paragraphs if p.style == "body"]
    assert len(body) == len(problems)
    sentences = [core(s) for s in body_sentences(draft) if len(core(s)) >= 8]
    assert len(sentences) == len(set(sentences))
    for problem, paragraph in zip(problems, body):
        assert problem.nature in paragraph.text  # names what it fixes
        assert problem.leaf_only or not problem.projects or any(name[-8:] in paragraph.text for name in problem.projects)


def test_accepting_an_offered_cause_puts_it_in_the_case_and_the_draft(index: PrecedentIndex) -> None:
    case = load_case(CASES / "seed_004.yaml")
    draft = draft_case(case, "problems", index=index)
    paragraph = next(p for p in draft.sections[0].paragraphs if p.style == "body" and "政府采购管理不规范的问题" in p.text)
    offer = paragraph.offers[-1]
    assert offer.kind == "cause" and set(offer.finding_ids) == {"1", "2", "5", "12", "23", "37"}
    accepted = Workspace.accept_offer(case, offer)
    assert {f.id for f in accepted.findings if f.cause == offer.text.rstrip("。")} == set(offer.finding_ids)
    again = draft_case(accepted, "problems", index=index)
    paragraph = next(p for p in again.sections[0].paragraphs if p.style == "body" and "政府采购管理不规范的问题" in p.text)
    assert f"主要原因是{offer.text.rstrip('。')}。" in paragraph.text and not paragraph.offers
    assert again.guard is not None and again.guard.ok


def test_accept_offer_over_http(tmp_path: Path) -> None:
    client = TestClient(create_app(load_settings(home=tmp_path), index=PrecedentIndex(tmp_path, HashEmbedder()), max_upload_mb=2))
    case = load_case(CASES / "seed_004.yaml")
    offer = {"text": "集中采购前未与各单位核对需求", "kind": "cause", "nature": "方案设计不合理", "finding_ids": ["6"]}
    response = client.post("/v1/cases/accept-offer", json={"case": case_to_data(case), "offer": offer})
    assert response.status_code == 200, response.text
    finding = next(f for f in Case.model_validate(response.json()["case"]).findings if f.id == "6")
    assert finding.cause == "集中采购前未与各单位核对需求"
    refused = client.post("/v1/cases/accept-offer", json={"case": case_to_data(case), "offer": {**offer, "finding_ids": ["999"]}})
    assert refused.status_code == 422 and "问题清单" in refused.text


def test_word_offers_are_comments_and_headings_follow_the_gongwen_levels(index: PrecedentIndex) -> None:
    draft = draft_case(load_case(CASES / "seed_004.yaml"), "report", index=index)
    document = Document(io.BytesIO(export_docx(draft)))
    styles = {p.text: p.style.name for p in document.paragraphs if p.style.name.startswith("Heading")}
    assert styles["六、存在的问题及原因分析"] == "Heading 1"
    assert styles["（一）项目实施效益不佳"] == "Heading 2"
    assert any(re.match(r"^\d+\.", text) and style == "Heading 3" for text, style in styles.items())
    comments = [c.text for c in document.comments]
    offers = [o for s in draft.sections for p in s.paragraphs for o in p.offers]
    assert sum("可选原因" in c or "可选措施" in c for c in comments) == len(offers)
    assert all(o.text not in p.text for p in document.paragraphs for o in offers)


def test_seed_004_skeleton_counts_indicators_locates_deductions_and_lists_findings() -> None:
    case = load_case(CASES / "seed_004.yaml")
    draft = draft_case(case, "report")
    assert draft.guard is not None and draft.guard.ok, (draft.guard.violations[:3], draft.guard.claim_violations[:3])
    text = draft.markdown()
    assert "一级指标4个、二级指标11个、三级指标27个" in text
    assert "报告落款" not in text and "数据截至" not in text  # the case's notes stay out of the prose
    by_title = {s.title: s for s in draft.sections}
    conclusion = by_title["三、综合评价情况及评价结论"]
    assert "项目产出扣分最多，扣8.80分" in "".join(p.text for p in conclusion.paragraphs)  # 40 − 31.20, more than 项目过程's 3.68
    assert [t.title for t in conclusion.tables] == ["绩效评价指标评分表"] and not by_title["四、绩效评价指标分析"].tables
    annex = by_title["附件：问题清单"]
    assert len(annex.tables[0].rows) == len(case.findings)
    first = group_problems(case, score_case(case))[0]
    assert annex.tables[0].rows[0][3] == first.nature and annex.tables[0].rows[0][4] == first.findings[0].issue
    analysis = "".join(p.text for p in by_title["四、绩效评价指标分析"].paragraphs)
    assert "各项指标均得满分" not in analysis
    assert "“预算编制科学性”得满分，评价要点为子项目需求分析明确" in analysis  # a full-score leaf with its evidence
    assert "“服务对象满意度”" in analysis
    assert "所涉事例为全市政府信息系统等级保护测评（前期规划不充分）" in analysis  # the cases behind a deduction


def test_a_short_name_is_used_after_the_first_mention(index: PrecedentIndex) -> None:
    case = load_case(CASES / "seed_004.yaml")
    long = "永州智慧政协（二期）项目"
    findings = [f.model_copy(update={"project_short": "智慧政协"}) if f.project == long else f for f in case.findings]
    draft = draft_case(case.model_copy(update={"findings": findings}), "problems", index=index)
    text = draft.markdown()
    first = text.index(long)
    assert "（智慧政协）" in text[first:] and "（智慧政协）" not in text[:first]
    assert draft.guard is not None and draft.guard.ok


def test_causes_the_case_gives_are_used_and_scoped(index: PrecedentIndex) -> None:
    # seed_000: the real report's cause of 项目进度滞后 is 新标准实施, written in the finding itself
    draft = draft_case(load_case(CASES / "seed_000.yaml"), "problems", index=index)
    late = next(p for p in draft.sections[0].paragraphs if p.style == "body" and "项目进度滞后的问题" in p.text)
    assert "主要原因是新标准实施。" in late.text and not late.offers
    assert draft.guard is not None and draft.guard.ok
    # seed_004: one finding's own cause is said of that finding, not of the whole problem
    draft = draft_case(load_case(CASES / "seed_004.yaml"), "problems", index=index)
    usage = next(p for p in draft.sections[0].paragraphs if p.style == "body" and "项目实施效益不佳的问题" in p.text)
    assert "主要原因是【请补充原因】。其中，永州智慧政协（二期）项目“系统使用率低”的原因是与政协云系统功能重叠" in usage.text
    assert usage.offers
