"""Template drafts on real cases: structure, figures that pass the guard, concrete projects, citations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import CASES, ROOT
from assistant.drafting import DraftingError, draft_case
from assistant.models import Draft
from assistant.problems import group_problems, short_name
from retrieval.embedders import HashEmbedder
from retrieval.index import PrecedentIndex
from scoring import load_case, score_case

SAMPLE = ROOT / "corpus" / "cases" / "sample_case.yaml"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> PrecedentIndex:
    index = PrecedentIndex(tmp_path_factory.mktemp("drafting-home"), HashEmbedder())
    index.ingest([ROOT / "corpus" / "reports"])
    return index


def headings(draft: Draft) -> list[str]:
    return [p.text for s in draft.sections for p in s.paragraphs if p.style == "heading"]


def test_seed_004_problems_cover_every_nature_with_projects_and_clean_figures(index: PrecedentIndex) -> None:
    case = load_case(CASES / "seed_004.yaml")
    draft = draft_case(case, "problems", index=index)
    natures = list(dict.fromkeys(f.nature for f in case.findings))
    problems = group_problems(case, score_case(case))
    titles = [re.sub(r"^（[一二三四五六七八九十]+）", "", t) for t in headings(draft)]
    # every 问题定性, plus the deduction with a reason and no finding (绩效目标合理性: the real report's problem (一))
    assert set(natures) < set(titles) and "绩效目标合理性有待提高" in titles
    assert len(titles) == len(problems) == len(natures) + 1
    # ordered by the points each problem cost
    assert titles == [p.nature + ("有待提高" if p.leaf_only else "") for p in problems]
    body = [p for p in draft.sections[0].paragraphs if p.style == "body"]
    assert len(body) == len(problems)
    for problem, paragraph in zip(problems, body):
        projects = {short_name(f.project) for f in problem.findings if f.project}
        assert problem.leaf_only or any(project in paragraph.text for project in projects), problem.nature
        assert "主要原因是" in paragraph.text
        assert problem.leaf_only or "一是" in paragraph.text
    assert draft.guard is not None and draft.guard.ok, draft.guard.violations[:3]
    assert draft.guard.checked > 50
    traced = [f for p in body for s in p.sentences for f in s.figures]
    assert any(f.text in ("3.40", "3.4") and f.audit for f in traced)  # 制度执行有效性, traced to its audit


def test_suggestions_mirror_problems_and_offer_what_precedents_say(index: PrecedentIndex) -> None:
    case = load_case(CASES / "seed_004.yaml")
    problems = draft_case(case, "problems", index=index)
    suggestions = draft_case(case, "suggestions", index=index)
    assert len(headings(suggestions)) == len(headings(problems))
    assert suggestions.guard is not None and suggestions.guard.ok
    body = [p for s in suggestions.sections for p in s.paragraphs if p.style == "body"]
    assert not [ref for p in body for sent in p.sentences for ref in sent.citations], "precedent wording is never in the body"
    offers = [o for p in body for o in p.offers]
    assert offers and all(o.kind == "measure" and o.citation is not None for o in offers)
    catalog = index.catalog()
    for paragraph in body:
        for offer in paragraph.offers:  # the cited passage really contains the offered sentence, and the body does not
            assert offer.citation is not None and offer.citation.doc_id in catalog and offer.citation.display.startswith("《")
            passage = index.passage(offer.citation.doc_id, int((offer.citation.chunk_id or "#0").rsplit("#", 1)[1]))
            assert passage is not None and offer.text[:10] in passage.text
            assert offer.text not in paragraph.text
    markdown = suggestions.markdown()
    assert all(f"】{o.text}" in markdown for o in offers)  # Markdown: a quoted block after its paragraph
    assert "> 【可选措施" in markdown


@pytest.mark.parametrize("case_path", [CASES / "seed_004.yaml", CASES / "seed_000.yaml", CASES / "seed_003.yaml", SAMPLE])
@pytest.mark.parametrize("section", ["problems", "suggestions", "analysis", "conclusion", "report"])
def test_every_section_passes_the_guard(case_path: Path, section: str, index: PrecedentIndex) -> None:
    draft = draft_case(load_case(case_path), section, index=index)  # type: ignore[arg-type]
    assert draft.guard is not None and draft.guard.ok, [v.text + " " + v.reason for v in draft.guard.violations][:5]
    assert draft.markdown().strip()


def test_analysis_and_conclusion_use_the_scores() -> None:
    case = load_case(CASES / "seed_004.yaml")
    result = score_case(case)
    analysis = draft_case(case, "analysis")
    text = analysis.markdown()
    for category in result.categories:
        assert category.name in text
    assert "扣2.60分" in text or "扣2.6分" in text  # 制度执行有效性
    table = analysis.sections[0].tables[0]
    assert len(table.rows) == len(result.nodes) + 1 and table.rows[-1][2] == "82.46"
    conclusion = draft_case(case, "conclusion").markdown()
    assert "82.46分" in conclusion and "“良”" in conclusion


def test_report_follows_the_outline() -> None:
    draft = draft_case(load_case(SAMPLE), "report")
    assert [s.title for s in draft.sections] == [
        "一、基本情况", "二、绩效评价工作开展情况", "三、综合评价情况及评价结论", "四、绩效评价指标分析",
        "五、主要经验及做法", "六、存在的问题及原因分析", "七、有关建议", "八、其他需要说明的问题",
    ]
    assert "财预〔2020〕10号" in draft.markdown()


def test_without_an_index_there_are_no_citations() -> None:
    draft = draft_case(load_case(SAMPLE), "suggestions")
    assert not [ref for s in draft.sections for p in s.paragraphs for sent in p.sentences for ref in sent.citations]
    assert draft.guard is not None and draft.guard.ok


def test_unknown_section_and_backend() -> None:
    case = load_case(SAMPLE)
    with pytest.raises(DraftingError, match="未知的章节"):
        draft_case(case, "summary")  # type: ignore[arg-type]
    with pytest.raises(DraftingError, match="未知的起草方式"):
        draft_case(case, "problems", backend="gpt")
    with pytest.raises(DraftingError, match="JIXIAO_LLM_BASE_URL"):
        from core.settings import load_settings

        draft_case(case, "problems", backend="llm", settings=load_settings(llm_base_url=None, llm_model=None))
