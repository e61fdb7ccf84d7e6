"""The report checker on real data: the five seeds (values read by hand), the clean corpus, injected errors, CLI and API."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import ROOT, seed_path

from checker import CheckError, CheckReport, Finding, check_report, check_text
from scoring import load_case, score_case

CORPUS = sorted((ROOT / "corpus" / "reports").glob("r*.md"))
D = Decimal


@pytest.fixture(scope="module")
def seeds() -> dict[str, CheckReport]:
    return {number: check_report(seed_path(number)) for number in ("000", "001", "002", "003", "004")}


def kinds(report: CheckReport, severity: str = "error") -> list[str]:
    return [finding.kind for finding in report.findings if finding.severity == severity]


def find(report: CheckReport, kind: str, stated: str | None = None, recomputed: str | None = None) -> Finding:
    for finding in report.findings:
        if finding.kind != kind:
            continue
        if stated is not None and str(finding.stated) != stated and D(str(finding.stated)) != D(stated):
            continue
        if recomputed is not None and D(str(finding.recomputed)) != D(recomputed):
            continue
        return finding
    raise AssertionError(f"no {kind} finding {stated} → {recomputed} in {[(f.kind, f.stated, f.recomputed) for f in report.findings]}")


def scores(report: CheckReport, *names: str) -> list[tuple[Decimal | None, Decimal | None]]:
    return [(report.indicator(name).weight, report.indicator(name).score) for name in names]


# ── the seeds: what the reports state, read by hand ─────────────────────────


def test_seed_000_tree_scores_and_the_94_full_score(seeds: dict[str, CheckReport]) -> None:
    report = seeds["000"]
    # 表3: 决策 18/15, 过程 20/18, 产出 27/26, 效益 35/35, 合计 94/94; 表2 has 19 三级指标.
    assert scores(report, "决策", "过程", "产出", "效益") == [(18, 15), (20, 18), (27, 26), (35, 35)]
    assert report.stated_total == 94 and report.recomputed_total == D("94.00")
    assert len(report.leaves) == 19
    # Leaf scores come from the text: "4.绩效指标明确性：……该指标扣2分，得2分" (分值 4 in 表2).
    assert scores(report, "绩效指标明确性", "资金拨付及时性", "项目完成及时性") == [(4, 2), (3, 2), (6, 5)]
    assert report.indicator("决策").recomputed_score == 15
    finding = find(report, "weight_sum", "94", "100")
    assert finding.severity == "error" and {place.line for place in finding.places} >= {367, 219}
    assert "18 + 过程 20 + 产出 27 + 效益 35 = 100" in finding.explanation


def test_seed_001_summary_table_and_the_balance(seeds: dict[str, CheckReport]) -> None:
    report = seeds["001"]
    assert scores(report, "决策", "过程", "产出", "效益") == [(20, 18), (20, 18), (30, 21), (30, 24)]
    assert (report.stated_total, report.stated_grade, report.recomputed_grade) == (81, "良", "良")
    finding = find(report, "fund", "1466.61", "1468.25")  # 1961 − (475 + 17.75) = 1468.25
    assert [place.line for place in finding.places][:4] == [59, 63, 65, 67]
    assert "492.75" in finding.explanation


def test_seed_002_repeated_quantities_and_the_execution_rate(seeds: dict[str, CheckReport]) -> None:
    report = seeds["002"]
    assert report.stated_total == D("99.98")
    spent = find(report, "repeated", "919.94", "919.47")
    assert [place.line for place in spent.places] == [19, 129]
    tasks = find(report, "repeated", "9", "11")
    assert [place.line for place in tasks.places] == [81, 151]
    zones = find(report, "repeated", "14", "20")
    assert "政务公开专区建设" in zones.explanation
    rate = find(report, "ratio", "99.83", "99.78")  # 919.47 / 921.47 = 99.78 %
    assert {place.line for place in rate.places} == {129, 125}


def test_seed_003_target_rule_and_the_balance_identity(seeds: dict[str, CheckReport]) -> None:
    report = seeds["003"]
    assert report.full_score == 80 and report.stated_total == 80
    assert len(report.leaves) == 38  # 投入 14 + 产出 11 + 结果 9 + 影响力 4
    assert scores(report, "投入目标", "产出目标", "结果目标", "影响力目标") == [(26, None), (24, None), (22, None), (8, None)]
    assert scores(report, "预算执行率", "安全认证网关", "业务中台需要对接部门业务服务") == [(6, 6), (D("2.2"), D("2.2")), (D("2.48"), D("2.48"))]
    rule = find(report, "rule", "6", "3.90")  # 6 − 7 × 5% × 6
    assert [place.line for place in rule.places] == [34, 76]
    balance = find(report, "fund", "260", "0")  # 资金结余 260 ≠ 结转 0 + 收回 0
    assert balance.places[0].line == 12
    assert sorted(kinds(report)) == ["fund", "rule"]


def test_seed_004_tables_and_annex(seeds: dict[str, CheckReport]) -> None:
    report = seeds["004"]
    assert scores(report, "项目决策", "项目过程", "项目产出", "项目效益") == [(14, D("12.5")), (16, D("12.32")), (40, D("31.2")), (30, D("26.44"))]
    assert (report.stated_total, report.recomputed_total, report.stated_grade, report.recomputed_grade) == (D("82.46"), D("82.46"), "良", "良")
    assert len(report.leaves) == 27
    assert scores(report, "预算执行率", "制度执行有效性", "服务对象满意度/服务对象满意度") == [(2, D("1.92")), (6, D("3.4")), (10, D("9.44"))]
    assert [name for name, _ in report.bands] == ["优", "良", "较差", "差"]
    assert kinds(report) == []  # 004 adds up; its findings are warnings (see below)
    online = find(report, "ratio", "71.73", "71.74")  # 533 / 743 = 71.736 %: truncated, not rounded
    assert online.severity == "warning"
    assert find(report, "count", "3", "4").severity == "warning"  # "3个一级指标" vs 附件1's four


def test_seed_places_are_clean_of_export_debris(seeds: dict[str, CheckReport]) -> None:
    for report in seeds.values():
        for row in report.indicators:
            assert "[bookmark" not in row.path and "footnote" not in row.path
        for finding in report.findings:
            for place in finding.places:
                assert "[bookmark" not in place.quote and place.line >= 1


# ── no false alarm on the clean corpus; every injected error is found ─────────


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: path.stem)
def test_corpus_reports_have_no_error(path: Path) -> None:
    report = check_report(path)
    assert report.errors == [], [f.explanation for f in report.errors]
    assert report.stated_total is not None and report.recomputed_total == report.stated_total
    assert len(report.leaves) >= 18


INJECTIONS = [
    ("leaf score", "| 决策 | 项目立项 | 立项依据充分性 | 2 | 2.00 |", "| 决策 | 项目立项 | 立项依据充分性 | 2 | 1.50 |", {"leaf_sum", "deduction"}),
    ("weight", "| 决策 | 项目立项 | 立项依据充分性 | 2 | 2.00 |", "| 决策 | 项目立项 | 立项依据充分性 | 3 | 2.00 |", {"weight_sum"}),
    ("rate", "| 决策 | 20 | 16.00 | 80.00% |", "| 决策 | 20 | 16.00 | 81.00% |", {"rate"}),
    ("grade", "评价等级为“中”", "评价等级为“良”", {"grade"}),
    ("execution rate", "项目累计支出542.01万元，预算执行率56.46%", "项目累计支出542.01万元，预算执行率58.46%", {"ratio"}),
    ("repeated amount", "年末支出仅542.01万元", "年末支出仅552.01万元", {"repeated"}),
    ("deduction sentence", "目标设置与项目立项初衷存在一定偏差。该指标扣0.5分，得2.50分", "目标设置与项目立项初衷存在一定偏差。该指标扣1分，得2.50分", {"deduction"}),
    ("total", "综合得分75.61分", "综合得分76.61分", {"total"}),
]


@pytest.mark.parametrize(("what", "old", "new", "expected"), INJECTIONS, ids=[item[0] for item in INJECTIONS])
def test_injected_error_is_found(what: str, old: str, new: str, expected: set[str]) -> None:
    text = (ROOT / "corpus" / "reports" / "r02_dengbao.md").read_text(encoding="utf-8")
    assert text.count(old) == 1
    report = check_text(text.replace(old, new), "r02_injected.md")
    assert expected & set(kinds(report)), (what, [(f.kind, f.explanation) for f in report.findings])
    line = text[: text.index(old)].count("\n") + 1
    assert any(place.line == line for finding in report.errors for place in finding.places), what


def test_injected_formula_and_per_finding_errors() -> None:
    text = (ROOT / "corpus" / "reports" / "r08_waiwang.md").read_text(encoding="utf-8")
    report = check_text(text.replace("支出1140.40万元/到位1186.00万元=96.16%", "支出1140.40万元/到位1186.00万元=96.26%"), "r08.md")
    assert find(report, "ratio", "96.26", "96.16").severity == "error"
    report = check_text(text.replace("缺报月报3份，每份0.5分，扣1.5分", "缺报月报4份，每份0.5分，扣1.5分"), "r08.md")
    assert find(report, "rule", "2.50", "2.0").severity == "error"


# ── layouts ───────────────────────────────────────────────────────────────────


def test_docx_table_and_markdown_table_give_the_same_tree(tmp_path: Path) -> None:
    import docx

    rows = [("一级指标", "二级指标", "三级指标", "分值", "得分"), ("决策", "项目立项", "立项依据充分性", "10", "9"), ("", "", "立项程序规范性", "10", "10"),
            ("过程", "资金管理", "预算执行率", "80", "72"), ("合计", "", "", "100", "92")]
    document = docx.Document()
    document.add_paragraph("某项目绩效评价报告")
    document.add_paragraph("经综合评价，项目综合得分91分，评价等级为“优”。")
    table = document.add_table(rows=len(rows), cols=5)
    for i, row in enumerate(rows):
        for j, cell in enumerate(row):
            table.cell(i, j).text = cell
    path = tmp_path / "report.docx"
    document.save(path)
    report = check_report(path)
    assert scores(report, "决策", "立项依据充分性", "预算执行率") == [(None, None), (10, 9), (80, 72)]
    assert report.recomputed_total == 91
    total = find(report, "total", "92", "91.00")
    assert total.severity == "error"
    markdown = "# 报告\n\n" + "\n".join("| " + " | ".join(row) + " |" for row in rows[:1]) + "\n|---|---|---|---|---|\n" + "\n".join("| " + " | ".join(row) + " |" for row in rows[1:]) + "\n"
    assert [row.path for row in check_text(markdown, "x.md").indicators] == [row.path for row in report.indicators]


def test_unreadable_input_raises_check_error(tmp_path: Path) -> None:
    with pytest.raises(CheckError):
        check_report(tmp_path / "missing.docx")
    with pytest.raises(CheckError):
        check_text("   ")


# ── CLI and API ───────────────────────────────────────────────────────────────


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jixiao", "check", *args], check=False, capture_output=True, text=True, cwd=ROOT)


def test_cli_json_shape_and_exit_codes(tmp_path: Path) -> None:
    proc = run(str(seed_path("003")), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {"source", "title", "full_score", "stated_total", "recomputed_total", "indicators", "findings"} <= set(data)
    finding = next(f for f in data["findings"] if f["kind"] == "rule")
    assert finding["stated"] == 6 and finding["recomputed"] == 3.9 and finding["severity"] == "error"
    assert {"section_path", "line", "quote"} == set(finding["places"][0])
    assert run(str(seed_path("003")), "--strict").returncode == 1
    text = run(str(seed_path("004")))
    assert text.returncode == 0 and "82.46" in text.stdout
    for bad in (tmp_path / "missing.txt", tmp_path / "report.xls"):
        if bad.suffix == ".xls":
            bad.write_text("x")
        proc = run(str(bad))
        assert proc.returncode == 2 and proc.stderr.startswith("错误：") and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


def test_cli_case_output_loads_and_scores(tmp_path: Path) -> None:
    out = tmp_path / "case.yaml"
    proc = run(str(seed_path("004")), "--case", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    case = load_case(out)
    result = score_case(case)
    assert result.total == D("82.46") and result.grade == "良"
    assert len([node for node in result.nodes if node.is_leaf]) == 27
    assert [check for check in result.checks if check.severity == "error"] == []
    # 002 has no scoring table: a scaffold from the national common framework, the report's figures as stated
    scaffold = tmp_path / "scaffold.yaml"
    proc = run(str(seed_path("002")), "--case", str(scaffold))
    assert proc.returncode == 0 and "共性指标体系框架" in proc.stderr, proc.stderr
    case = load_case(scaffold)
    assert [indicator.name for indicator in case.indicators] == ["决策", "过程", "产出", "效益"]
    assert case.stated is not None and case.stated.total == D("99.98")
    assert case.funds.budget == D("921.47") and case.stated.funds["spent"] == D("919.94")
    scored = score_case(case)
    leaves = [node for node in scored.nodes if node.is_leaf]
    assert {"预算执行率", "资金到位率", "服务对象满意度"} <= {node.path.split("/")[-1] for node in leaves}
    # the placeholder weights (预算执行率 4 × 99.83%) give 99.99, not the report's 99.98: a note, not an error against the report
    assert case.stated.placeholder_tree and scored.total == D("99.99")
    total = [check for check in scored.checks if check.kind == "stated_total"]
    assert [check.severity for check in total] == ["info"] and "占位" in total[0].message
    assert [check for check in scored.checks if check.severity == "error"] == []


def test_api_check_upload_and_text(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from core.settings import load_settings

    client = TestClient(create_app(load_settings(home=tmp_path), index=None))
    path = seed_path("003")
    response = client.post("/v1/check", files={"file": (path.name, path.read_bytes(), "text/plain")})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == path.name and {f["kind"] for f in body["findings"]} == {"rule", "fund"}
    text = (ROOT / "corpus" / "reports" / "r02_dengbao.md").read_text(encoding="utf-8")
    response = client.post("/v1/check", json={"text": text.replace("评价等级为“中”", "评价等级为“良”"), "name": "r02.md"})
    assert response.status_code == 200 and "grade" in {f["kind"] for f in response.json()["findings"]}
    assert client.post("/v1/check", json={"text": "  "}).status_code == 422
    assert client.post("/v1/check", json={"name": "x"}).status_code == 422
    assert client.post("/v1/check", files={"file": ("a.xls", b"x", "application/octet-stream")}).status_code == 415


def _quoted_at_its_line(body: dict) -> list[tuple[int, str]]:
    """Each place whose quote is not on the line of ``body["lines"]`` its number names: (line, quote)."""
    lines, first = body["lines"], body["first_line"]
    wrong = []
    for finding in body["findings"]:
        for place in finding["places"]:
            line = lines[place["line"] - first]
            start = place["quote"].rstrip("…")[:20]  # a table row is quoted with its cells joined by spaces
            if start not in line and start not in " ".join(line.split("\t")):
                wrong.append((place["line"], place["quote"]))
    return wrong


def test_api_check_returns_the_lines_its_places_count(tmp_path: Path) -> None:
    """?lines=true: the report's text line by line, so a viewer can show every place of a .docx or .txt report in context."""
    import docx
    from fastapi.testclient import TestClient

    from api.app import create_app
    from core.settings import load_settings

    client = TestClient(create_app(load_settings(home=tmp_path), index=None))
    text_path = seed_path("001")
    plain = client.post("/v1/check", files={"file": (text_path.name, text_path.read_bytes(), "text/plain")}).json()
    assert plain["lines"] is None  # only on request
    body = client.post("/v1/check?lines=true", files={"file": (text_path.name, text_path.read_bytes(), "text/plain")}).json()
    assert len(body["findings"]) == 2 and _quoted_at_its_line(body) == []
    # the same report as Word, one paragraph per line: the 1466.61 place is found on its line there too
    document = docx.Document()
    for line in text_path.read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    word = tmp_path / "001.docx"
    document.save(word)
    body = client.post("/v1/check?lines=true", files={"file": (word.name, word.read_bytes(), "application/octet-stream")}).json()
    assert body["findings"] and _quoted_at_its_line(body) == []
    places = [place for finding in body["findings"] for place in finding["places"] if "1466.61" in place["quote"]]
    assert places and "1466.61" in body["lines"][places[0]["line"] - body["first_line"]]
