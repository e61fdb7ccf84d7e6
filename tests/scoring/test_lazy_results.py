"""Results built fast (no revalidation, audits written on first read) are the same results, on the seeds."""

from __future__ import annotations

import gc
import json
import pickle
from decimal import Decimal
from pathlib import Path

import pytest

from scoring import load_case, score_case
from scoring.engine import collector_paused
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


def test_the_collector_is_paused_only_while_scoring_and_left_as_found() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: stays off
    finally:
        gc.enable()
