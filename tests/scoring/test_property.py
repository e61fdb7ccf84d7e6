"""Property: a total is the sum of its leaves and never exceeds the full score."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import Case, score_case
from scoring.numbers import quantize

weights = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("20"), places=2)


@st.composite
def rules(draw: st.DrawFn, weight: Decimal) -> dict[str, Any]:
    kind = draw(st.sampled_from(["judgment", "ratio", "per_finding", "levels", "output_band", "result_target", "missing"]))
    if kind == "judgment":
        deduction = draw(st.decimals(min_value=0, max_value=weight * 2, places=2))
        return {"type": kind, "deduction": deduction, "reason": "理由"}
    if kind == "ratio":
        return {"type": kind, "rate": draw(st.decimals(min_value=-10, max_value=200, places=3))}
    if kind == "per_finding":
        return {"type": kind, "per": draw(st.sampled_from(["0.2", "0.5", "1"])), "count": draw(st.integers(0, 40))}
    if kind == "levels":
        return {"type": kind, "level": draw(st.sampled_from(["好", "较好", "一般", "较差", "差"]))}
    if kind in ("output_band", "result_target"):
        return {"type": kind, "target": draw(st.integers(1, 1000)), "actual": draw(st.integers(0, 3000))}
    return {"type": kind}


@st.composite
def trees(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    name = draw(st.text(alphabet="甲乙丙丁戊己庚辛", min_size=1, max_size=4))
    if depth >= 2 or draw(st.booleans()):
        weight = draw(weights)
        return {"name": name, "weight": weight, "rule": draw(rules(weight))}
    children = draw(st.lists(trees(depth + 1), min_size=1, max_size=4, unique_by=lambda node: node["name"]))
    return {"name": name, "children": children}


def leaf_weights(node: dict[str, Any]) -> Decimal:
    if "children" in node:
        return sum((leaf_weights(child) for child in node["children"]), Decimal(0))
    return node["weight"]


@settings(max_examples=150, deadline=None)
@given(roots=st.lists(trees(), min_size=1, max_size=5, unique_by=lambda node: node["name"]), totals=st.sampled_from(["sum_of_rounded", "round_of_sum"]))
def test_total_is_sum_of_leaves_and_within_full_score(roots: list[dict[str, Any]], totals: str) -> None:
    full = sum((leaf_weights(root) for root in roots), Decimal(0))
    case = Case.model_validate({"project": {"name": "p"}, "full_score": full, "rounding": {"totals": totals}, "indicators": roots})
    result = score_case(case)
    leaves = [node for node in result.nodes if node.is_leaf]
    for leaf in leaves:
        assert 0 <= leaf.score <= leaf.weight
    if totals == "sum_of_rounded":
        assert result.total == sum((leaf.score for leaf in leaves), Decimal(0))
        for node in result.nodes:
            if not node.is_leaf:
                children = [child for child in result.nodes if child.parent == node.path]
                assert node.score == sum((child.score for child in children), Decimal(0))
    else:
        assert abs(result.total - sum((leaf.score for leaf in leaves), Decimal(0))) <= Decimal("0.005") * len(leaves)
    assert result.total <= quantize(full)
    assert not [c for c in result.checks if c.kind in ("weight_sum", "score_above_weight")]
