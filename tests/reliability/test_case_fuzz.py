"""Bad case files (issue 8, "Bad input"): random structures and values fed as YAML text to parse_case and score_case.

The outcome is always one of two things:

- :class:`CaseFileError` whose problems each name a field (or, for a file that
  cannot be read as data at all, a line or the whole file), one line each;
- a :class:`ScoreResult` whose total is the sum of its first-level nodes, every
  leaf within ``[0, weight]``, and every weight that does not add up reported
  as a ``weight_sum`` check.

Never another exception, never a wrong total. Generated values include NaN,
inf, negative and huge numbers, strings for numbers, unknown keys, wrong types
at every level, names with zero-width and RTL marks or "/", 200-level nesting,
YAML alias bombs and 10^9 leaves or findings requested.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT
from scoring import CaseFileError, parse_case, score_case
from scoring.numbers import quantize
from scoring.results import ScoreResult

RULE_TYPES = ["judgment", "ratio", "per_finding", "levels", "output_band", "result_target", "missing"]
FUND_KEYS = ["budget", "adjustment", "allocated", "received", "spent", "carried_over", "recovered", "contract_amount", "contract_paid"]
TRICKS = ["\u200b", "\u200d", "\u202e", "\u202d", "\u2066", "\ufeff", "/", "\\", "\n", "\r", " ", "\u3000", "..", "'", '"', ";", "\t", "\x00", "#", ":", "&", "*", "{", "]"]

# ── emitting YAML ─────────────────────────────────────────────────────────────
# Flow-style YAML written by hand: JSON strings (ASCII-escaped, so every code point
# survives), YAML's own .nan/.inf, and numbers written exactly as drawn.


class Raw(str):
    """A scalar written into the YAML verbatim (e.g. ``1e30``, ``-.inf``, ``0x10``)."""


def emit(value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, Decimal):
        if value.is_nan():
            return ".nan"
        if value.is_infinite():
            return ".inf" if value > 0 else "-.inf"
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k), ensure_ascii=True)}: {emit(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(emit(item) for item in value) + "]"
    raise TypeError(type(value))


def to_yaml(data: dict[str, Any]) -> str:
    # One top-level key per line, so problems get distinct line numbers.
    return "".join(f"{json.dumps(key, ensure_ascii=True)}: {emit(value)}\n" for key, value in data.items())


# ── strategies ────────────────────────────────────────────────────────────────
sane_numbers = st.one_of(st.integers(0, 30), st.decimals(min_value=0, max_value=30, places=2))
nasty_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.integers(-(10**40), 10**40),
    st.sampled_from([10**9, 10**15, 10**30, -1, -0.0, 1e-30, 1e300, 2**63]),
    st.sampled_from(["两分", "1e30", " 3 ", "", "NaN", "-inf", "１０", "10%", "1,5", "0.5%", "funds.spent", "funds.nope", "1e999999999", "-1e-999999999"]).map(str),
    st.sampled_from([Raw("0x10"), Raw("0o17"), Raw("1_000"), Raw("1e400"), Raw("-.inf"), Raw(".NaN"), Raw("~"), Raw("1" + "0" * 5000)]),
)
wrong_types = st.sampled_from([None, True, [], {}, "文字", [1, 2], {"x": 1}, 3.5])

names = st.one_of(
    st.lists(st.sampled_from(list("甲乙丙丁戊") + TRICKS), max_size=6).map("".join),
    st.text(min_size=0, max_size=12),
    st.sampled_from(["资金管理", "预算执行率", "a/b", "/", "\u202e率行执算预", "预算\u200b执行率", " ", "x" * 300]),
)


@st.composite
def number(draw: st.DrawFn, chaos: float) -> Any:
    roll = draw(st.floats(0, 1))
    if roll < chaos / 2:
        return draw(wrong_types)
    if roll < chaos:
        return draw(nasty_numbers)
    return draw(sane_numbers)


@st.composite
def maybe(draw: st.DrawFn, chaos: float, value: Any) -> Any:
    """``value``, or (with probability ``chaos``) a wrong type in its place."""
    return draw(wrong_types) if draw(st.floats(0, 1)) < chaos / 3 else value


@st.composite
def rule(draw: st.DrawFn, chaos: float) -> Any:
    kind = draw(st.sampled_from([*RULE_TYPES, "magic", None]) if chaos else st.sampled_from(RULE_TYPES))
    spec: dict[str, Any] = {} if kind is None else {"type": kind}
    num = number(chaos)
    if kind == "judgment":
        spec.update(deduction=draw(num), reason=draw(names) if chaos else "理由")
    elif kind == "ratio":
        if draw(st.booleans()):
            spec["rate"] = draw(num)
        else:
            spec.update(numerator=draw(st.one_of(num, st.sampled_from(["funds.spent", "funds.received"]))), denominator=draw(num))
    elif kind == "per_finding":
        spec.update(per=draw(num), count=draw(st.one_of(num, st.sampled_from([10**9, 0, None]))))
    elif kind == "levels":
        levels = st.sampled_from(["好", "较好", "一般", "较差", "差"])
        spec["level"] = draw(st.one_of(levels, names) if chaos else levels)
    elif kind in ("output_band", "result_target"):
        spec.update(target=draw(num), actual=draw(num))
    if draw(st.floats(0, 1)) < chaos / 3:
        spec[draw(names)] = draw(num)  # unknown key
    return draw(maybe(chaos, spec))


@st.composite
def indicator(draw: st.DrawFn, chaos: float, depth: int = 0) -> Any:
    node: dict[str, Any] = {"name": draw(names) if draw(st.floats(0, 1)) < chaos else draw(st.text(alphabet="甲乙丙丁戊己庚辛", min_size=1, max_size=3))}
    leaf = depth >= 3 or draw(st.booleans())
    if leaf:
        if draw(st.floats(0, 1)) > chaos / 4:
            node["weight"] = draw(number(chaos))
        node["rule"] = draw(rule(chaos))
    else:
        node["children"] = draw(maybe(chaos, draw(siblings(chaos, depth + 1))))
        shape = draw(st.sampled_from(["sum", "weighted", "even", "even_bad"] if chaos else ["sum", "weighted", "even"]))
        if shape in ("weighted", "even", "even_bad"):
            node["weight"] = draw(number(chaos))  # a declared weight the children may well not add up to
        if shape == "even":
            node["split"] = "even"
            for child in node["children"] if isinstance(node["children"], list) else []:
                if isinstance(child, dict):
                    child.pop("weight", None)
        if shape == "even_bad":
            node["split"] = draw(st.sampled_from(["even", "odd", 1, None]))
    if draw(st.floats(0, 1)) < chaos / 3:
        node[draw(st.sampled_from(["weigth", "rules", "子指标", "note", "\u200bname"]))] = draw(number(chaos))
    return draw(maybe(chaos, node))


def siblings(chaos: float, depth: int) -> st.SearchStrategy[list[Any]]:
    """Sibling indicators; without chaos their names are distinct (a valid tree)."""
    nodes = indicator(chaos, depth)
    if chaos:
        return st.lists(nodes, min_size=1, max_size=4)
    return st.lists(nodes, min_size=1, max_size=4, unique_by=lambda node: node["name"])


def leaf_names(nodes: Any) -> list[str]:
    found: list[str] = []
    for node in nodes if isinstance(nodes, list) else []:
        if isinstance(node, dict) and isinstance(node.get("name"), str):
            children = node.get("children")
            found.extend(leaf_names(children) if children else [node["name"]])
    return found


@st.composite
def case_data(draw: st.DrawFn) -> dict[str, Any]:
    chaos = draw(st.sampled_from([0.0, 0.0, 0.05, 0.2, 0.6]))
    num = number(chaos)
    indicators = draw(st.lists(indicator(chaos), min_size=0, max_size=4) if chaos else siblings(chaos, 0))
    data: dict[str, Any] = {"project": draw(maybe(chaos, {"name": draw(names) if chaos else "项目"}))}
    if draw(st.booleans()):
        data["full_score"] = draw(num)
    data["indicators"] = draw(maybe(chaos, indicators))
    leaves = leaf_names(indicators)
    unique = [name for name in leaves if leaves.count(name) == 1]
    targets = leaves + ["不存在的指标"] if chaos else unique or [None]
    if draw(st.booleans()):
        finding = {"nature": names if chaos else st.just("问题"), "indicator": st.one_of(st.sampled_from(targets), st.none())}
        data["findings"] = draw(maybe(chaos, draw(st.lists(st.fixed_dictionaries(finding), max_size=5))))
    if draw(st.booleans()):
        data["funds"] = draw(maybe(chaos, {key: draw(num) for key in draw(st.lists(st.sampled_from(FUND_KEYS), max_size=4, unique=True))}))
    if draw(st.booleans()):
        decimals = st.one_of(st.integers(-1, 8), num) if chaos else st.integers(0, 6)
        data["rounding"] = {"decimals": draw(decimals), "totals": draw(st.sampled_from(["sum_of_rounded", "round_of_sum", "banker"][: 3 if chaos else 2]))}
    if draw(st.booleans()):
        scores = {name: draw(num) for name in (targets[:2] if chaos else unique[:2])}
        data["stated"] = draw(maybe(chaos, {"total": draw(num), "grade": draw(names), "scores": scores}))
    if chaos and draw(st.floats(0, 1)) < chaos / 3:
        data[draw(st.sampled_from(["indicator", "Project", "总分", "\u202eproject"]))] = draw(num)
    return data


# ── the property ──────────────────────────────────────────────────────────────
def assert_problems(exc: CaseFileError, source: str) -> None:
    assert exc.problems, "a CaseFileError must list at least one problem"
    for problem in exc.problems:
        text = str(problem)
        assert problem.message.strip(), problem
        assert "\n" not in text and "\r" not in text, text  # one line per problem
        assert text.startswith(source), text
        assert len(text) < 2000, text[:200]  # no whole subtree pasted into the message
    # Every generated file is YAML with a mapping at the top: at least one problem names a field or a line.
    assert any(problem.field or problem.line for problem in exc.problems), [str(p) for p in exc.problems]


def assert_sound(result: ScoreResult, decimals: int, totals: str) -> None:
    by_path = {node.path: node for node in result.nodes}
    roots = [node for node in result.nodes if node.level == 1]
    if totals == "sum_of_rounded":
        assert result.total == sum((node.score for node in roots), Decimal(0))
    else:
        assert abs(result.total - sum((node.score for node in roots), Decimal(0))) <= Decimal(len(roots)) * Decimal(1).scaleb(-decimals)
    for node in result.nodes:
        assert node.weight >= 0
        if node.is_leaf:
            assert node.score >= 0, (node.path, node.score)
            if node.score > node.weight:  # a weight finer than rounding.decimals (0.05 at 1 decimal → 0.1): an error check
                assert any(c.kind == "score_above_weight" and c.location == node.path for c in result.checks), (node.path, node.score, node.weight)
        else:
            children = [child for child in result.nodes if child.parent == node.path]
            if totals == "sum_of_rounded":
                assert node.score == sum((child.score for child in children), Decimal(0)), node.path
            if sum((child.weight for child in children), Decimal(0)) != node.weight:
                assert any(c.kind == "weight_sum" and c.location == node.path for c in result.checks), node.path
    if sum((node.weight for node in roots), Decimal(0)) != result.full_score:
        assert any(c.kind == "weight_sum" and c.location == "full_score" for c in result.checks)
    assert result.rate == quantize(result.total / result.full_score * 100, decimals)
    assert all(path in by_path for path in (node.parent for node in result.nodes) if path is not None)


def outcome(text: str, source: str = "fuzz.yaml") -> ScoreResult | CaseFileError:
    """parse_case + score_case; anything but CaseFileError propagates and fails the test."""
    try:
        case = parse_case(text, source)
    except CaseFileError as exc:
        return exc
    result = score_case(case)
    assert_sound(result, case.rounding.decimals, case.rounding.totals)
    return result


STATS = {"examples": 0, "scored": 0, "refused": 0}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=case_data())
def test_random_case_is_refused_with_fields_or_scored_soundly(data: dict[str, Any]) -> None:
    text = to_yaml(data)
    result = outcome(text)
    STATS["examples"] += 1
    if isinstance(result, CaseFileError):
        STATS["refused"] += 1
        assert_problems(result, "fuzz.yaml")
    else:
        STATS["scored"] += 1


def test_fuzz_reached_both_outcomes() -> None:
    """The generator is not degenerate: some cases score, some are refused (run after the property above)."""
    if STATS["examples"] == 0:
        pytest.skip("run together with the property test")
    print(f"case fuzz: {STATS}")
    # Hypothesis steers its search (towards refusals, once it has seen many), so the split varies from run to run:
    # one run of 200 had 6 scored. Five of each is still far from a generator that only ever reaches one outcome.
    assert STATS["scored"] >= 5 and STATS["refused"] >= 5, STATS


# ── specific hostile files ────────────────────────────────────────────────────
def nested_flow(levels: int) -> str:
    node = "{name: 叶, weight: 1, rule: {type: missing}}"
    for i in range(levels):
        node = f"{{name: 层{i}, children: [{node}]}}"
    return f"project: {{name: p}}\nfull_score: 1\nindicators: [{node}]\n"


def nested_block(levels: int) -> str:
    lines = ["project: {name: p}", "full_score: 1", "indicators:"]
    for i in range(levels):
        pad = "  " * (2 * i)
        lines += [f"{pad}  - name: 层{i}", f"{pad}    children:"]
    pad = "  " * (2 * levels)
    lines.append(f"{pad}  - {{name: 叶, weight: 1, rule: {{type: missing}}}}")
    return "\n".join(lines) + "\n"


def alias_bomb(levels: int, fan: int = 10) -> str:
    """``fan ** levels`` leaves in a few lines of YAML ("billion laughs")."""
    lines = ["project: {name: p}", "l0: &l0 {name: 叶, weight: 1, rule: {type: missing}}"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fan)}]")
    lines.append(f"indicators: [{{name: 根, children: *l{levels}}}]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    "nested_200_flow": nested_flow(200),
    "nested_200_block": nested_block(200),
    "nested_3000_brackets": "project: {name: p}\nindicators: " + "[" * 3000 + "]" * 3000 + "\n",
    "nested_3000_brackets_json": '{"project": {"name": "p"}, "indicators": ' + "[" * 3000 + "]" * 3000 + "}",
    "alias_bomb_10^9": alias_bomb(9),
    "alias_cycle": "project: {name: p}\nindicators: &a [{name: x, children: *a}]\n",
    "split_even_absurd_weight": "project: {name: p}\nindicators:\n  - {name: a, weight: 1e300, split: even, children: [{name: b, rule: {type: missing}}]}\n",
    "per_finding_10^9": "project: {name: p}\nfull_score: 10\nindicators:\n  - {name: a, weight: 10, rule: {type: per_finding, per: 0.2, count: 1000000000}}\n",
    "int_5000_digits": "project: {name: p}\nindicators:\n  - {name: a, weight: 1" + "0" * 5000 + ", rule: {type: missing}}\n",
    "string_number_huge_exponent": "project: {name: p}\nindicators:\n  - {name: a, weight: 10, rule: {type: ratio, numerator: '1e999999999', denominator: 3}}\n",
    "tiny_denominator": "project: {name: p}\nindicators:\n  - {name: a, weight: 10, rule: {type: ratio, numerator: 1, denominator: 0.000001}}\n",
    "weights_do_not_sum": "project: {name: p}\nfull_score: 100\nindicators:\n  - {name: a, weight: 30, children: [{name: b, weight: 7, rule: {type: missing}}]}\n",
    "tab_indent": "project:\n\tname: p\n",
    "top_level_list": "- 1\n- 2\n",
    "binary_garbage": "\x00\x01\x02\ufffe",
    "duplicate_keys": "project: {name: p}\nproject: {name: q}\nindicators: []\n",
}

#: (outcome, substring of the message or the check kind) for each hostile file.
EXPECTED = {
    "nested_200_flow": ("refused", "嵌套层级"),
    "nested_200_block": ("refused", "嵌套层级"),
    "nested_3000_brackets": ("refused", "嵌套层级"),
    "nested_3000_brackets_json": ("refused", "嵌套层级"),
    "alias_bomb_10^9": ("refused", "别名炸弹"),
    "alias_cycle": ("refused", "应为列表"),  # ruamel reads a self-referencing alias as null
    "split_even_absurd_weight": ("refused", "数字过大"),
    "per_finding_10^9": ("scored", None),
    "int_5000_digits": ("refused", "无法读取"),
    "string_number_huge_exponent": ("refused", "数字过大"),
    "tiny_denominator": ("scored", None),
    "weights_do_not_sum": ("scored", "weight_sum"),
    "tab_indent": ("refused", "格式错误"),
    "top_level_list": ("refused", "键值表"),
    "binary_garbage": ("refused", "格式错误"),
    "duplicate_keys": ("refused", "格式错误"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_case_file(name: str) -> None:
    started = time.perf_counter()
    result = outcome(HOSTILE[name], fmt_source := f"{name}.yaml")
    elapsed = time.perf_counter() - started
    assert elapsed < 5, f"{name} took {elapsed:.1f} s"
    expected, marker = EXPECTED[name]
    if expected == "refused":
        assert isinstance(result, CaseFileError), name
        assert all(str(p).startswith(fmt_source) and "\n" not in str(p) for p in result.problems)
        assert any(marker in p.message for p in result.problems), [str(p) for p in result.problems]
    else:
        assert isinstance(result, ScoreResult), result
        if marker:
            assert any(c.kind == marker for c in result.checks)


def test_per_finding_10_9_deducts_no_more_than_the_weight() -> None:
    result = outcome(HOSTILE["per_finding_10^9"])
    assert isinstance(result, ScoreResult)
    assert result.total == 0 and result.node("a").score == 0
    assert "1000000000 例" in result.node("a").audit


def test_unicode_tricks_in_names_are_kept_apart_and_slash_refused() -> None:
    text = (
        "project: {name: p}\nfull_score: 10\nindicators:\n"
        '  - {name: "预算执行率", weight: 5, rule: {type: judgment, deduction: 1, reason: r}}\n'
        '  - {name: "预算\\u200b执行率", weight: 5, rule: {type: judgment, deduction: 2, reason: r}}\n'
        'findings:\n  - {nature: n, indicator: "预算执行率"}\n'
    )
    result = outcome(text)
    assert isinstance(result, ScoreResult)
    assert result.node("预算执行率").score == 4 and result.node("预算\u200b执行率").score == 3 and result.total == 7
    assert result.node("预算执行率").findings == 1 and result.node("预算\u200b执行率").findings == 0
    refused = outcome('project: {name: p}\nindicators:\n  - {name: "a/b", weight: 1, rule: {type: missing}}\n')
    assert isinstance(refused, CaseFileError) and refused.problems[0].field == "indicators[0].name"


# ── the command line ──────────────────────────────────────────────────────────
CLI_FILES = {
    "nan.yaml": to_yaml({"project": {"name": "p"}, "indicators": [{"name": "a", "weight": float("nan"), "rule": {"type": "missing"}}]}),
    "huge.yaml": to_yaml({"project": {"name": "p"}, "full_score": Raw("1e30"), "indicators": [{"name": "a", "weight": Raw("1e30"), "rule": {"type": "judgment", "deduction": -1}}]}),
    "types.yaml": to_yaml({"project": ["p"], "indicators": [{"name": "a\nb", "weight": "两分", "rule": {"type": "magic"}}, "x"], "funds": {"spent": "很多"}}),
    "deep.yaml": nested_block(200),
    "bomb.yaml": alias_bomb(9),
    "digits.json": '{"project": {"name": "p"}, "indicators": [{"name": "a", "weight": 1' + "0" * 5000 + ', "rule": {"type": "missing"}}]}',
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CLI_FILES))
def test_cli_bad_files_exit_2_one_line_per_problem(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(CLI_FILES[name], encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "jixiao", "score", str(path)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and not proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert lines and all(line.startswith(f"错误：{path}") for line in lines), proc.stderr[:2000]
    try:
        expected = len(parse_case(CLI_FILES[name], str(path), "json" if name.endswith(".json") else "yaml").indicators) and 0
    except CaseFileError as exc:
        expected = len(exc.problems)
    assert len(lines) == expected
