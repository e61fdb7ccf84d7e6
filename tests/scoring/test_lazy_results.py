"""Results built fast (no revalidation, audits written on first read) are the same results, on the seeds."""

from __future__ import annotations

import json
import pickle
from decimal import Decimal
from pathlib import Path

import pytest

from scoring import load_case, score_case
from scoring.results import NodeResult, ScoreResult
from scoring.rules import REGISTRY, RuleContext, RuleOutcome

CASES = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "cases").glob("seed_*.yaml"))


@pytest.fixture(params=CASES, ids=lambda path: path.stem)
def result(request: pytest.FixtureRequest) -> ScoreResult:
    return score_case(load_case(request.param))


def test_every_node_equals_the_same_node_validated(result: ScoreResult) -> None:
    for node in result.nodes:
        again = NodeResult.model_validate(node.model_dump())
        assert again == node
        assert again.audit == node.audit and again.audit  # every node has its arithmetic
    assert ScoreResult.model_validate(result.model_dump()) == result


def test_json_keeps_the_field_order_with_the_audit_after_the_rule(result: ScoreResult) -> None:
    keys = list(json.loads(result.model_dump_json())["nodes"][0])
    assert keys == ["path", "name", "level", "parent", "is_leaf", "weight", "score", "rate", "rule", "audit", "reason", "findings"]


def test_a_result_read_back_from_json_keeps_its_audits(result: ScoreResult) -> None:
    data = json.loads(result.model_dump_json())
    back = ScoreResult.model_validate(data)
    assert [node.audit for node in back.nodes] == [node["audit"] for node in data["nodes"]]
    assert back.model_dump(mode="json") == data


def test_results_pickle_with_their_audits(result: ScoreResult) -> None:
    back = pickle.loads(pickle.dumps(result))
    assert back == result
    assert [node.audit for node in back.nodes] == [node.audit for node in result.nodes]


def test_an_audit_is_written_once_and_only_when_read() -> None:
    calls: list[int] = []

    def write() -> str:
        calls.append(1)
        return "2 × 95.91% = 1.92"

    outcome = RuleOutcome(Decimal("1.92"), write)
    assert calls == []
    assert outcome.audit == outcome.audit == "2 × 95.91% = 1.92"
    assert calls == [1]


def test_a_rule_called_directly_gives_its_audit_text() -> None:
    rule = REGISTRY["ratio"]
    outcome = rule.apply(rule.params.model_validate({"type": "ratio", "rate": "95.91"}), RuleContext(weight=Decimal(2)))
    assert outcome.score == Decimal("1.9182")
    assert outcome.audit == "2 × 95.91% = 1.92"


def test_nodes_are_built_when_first_read_and_in_field_order(result: ScoreResult) -> None:
    case_nodes = len(result.nodes)
    fresh = score_case(load_case(CASES[0]))
    assert "nodes" not in fresh.__dict__  # not built by scoring
    assert fresh.node_at(3) is fresh.node_at(3)  # one node built alone, kept
    assert "nodes" not in fresh.__dict__
    assert fresh.nodes[3] is fresh.node_at(3)  # the same object once all are built
    assert list(fresh.__dict__) == list(ScoreResult.model_fields)
    assert list(result.model_dump()) == list(ScoreResult.model_fields)
    assert case_nodes == len(result.model_dump()["nodes"])


@pytest.mark.parametrize("path", CASES, ids=lambda path: path.stem)
def test_a_result_not_yet_read_dumps_compares_and_pickles_as_one_read(path: Path) -> None:
    case = load_case(path)
    uses = (
        lambda r: r.model_dump_json(),
        lambda r: repr(r),
        lambda r: dict(r)["nodes"],
        lambda r: pickle.loads(pickle.dumps(r)).model_dump_json(),
        lambda r: r.model_copy().model_dump_json(),
    )
    for use in uses:
        unread, read = score_case(case), score_case(case)
        read.nodes  # noqa: B018
        assert use(unread) == use(read)
        assert unread == read


def test_places_in_the_case_file_are_kept_for_every_node() -> None:
    from scoring.tree import Tree

    for path in CASES:
        case = load_case(path)
        data = case.model_dump()
        for item in Tree(case.indicators).located:
            spot: object = data
            for key in item.loc:
                spot = spot[key]  # type: ignore[index]
            assert isinstance(spot, dict) and spot["name"] == item.node.name
            assert item.path.endswith(item.node.name) and item.level == item.path.count("/") + 1


def test_a_share_of_an_even_split_is_checked_against_its_own_children() -> None:
    from scoring import Case

    case = Case.model_validate(
        {
            "project": {"name": "嵌套"},
            "full_score": "10",
            "indicators": [
                {"name": "甲", "weight": "6", "split": "even", "children": [
                    {"name": "乙", "children": [{"name": "丙", "weight": "2", "rule": {"type": "judgment"}}, {"name": "丁", "weight": "2", "rule": {"type": "judgment"}}]},
                    {"name": "戊", "children": [{"name": "己", "weight": "3", "rule": {"type": "judgment"}}]},
                ]},
                {"name": "庚", "children": [{"name": "辛", "weight": "4", "rule": {"type": "judgment"}}]},
            ],
        }
    )
    messages = [check.message for check in score_case(case).checks if check.kind == "weight_sum"]
    assert messages == ["“甲/乙”下级分值合计 4，与本级分值 3 不符"]  # 戊 (3 = 3) and 庚 (its children's sum) add up
