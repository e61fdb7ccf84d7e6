"""Fund tables checked row by row and column by column, and repeated contract / payment / sub-project figures.

The seeds are read at run time (never copied); errors are injected into copies.
"""

from __future__ import annotations

import pytest
from conftest import ROOT, seed_path

from checker import CheckReport, check_report, check_text
from checker.document import load_report
from checker.fundtables import read_fund_tables

CORPUS = ROOT / "corpus" / "reports"


def inject(text: str, old: str, new: str, name: str) -> tuple[CheckReport, int]:
    assert text.count(old) == 1, old
    return check_text(text.replace(old, new), name), text[: text.index(old)].count("\n") + 1


def table_findings(report: CheckReport) -> list[tuple[str, str, str, list[int]]]:
    return [(f.kind, str(f.stated), str(f.recomputed), [p.line for p in f.places]) for f in report.findings if "一行" in f.explanation or "列" in f.explanation]


def test_the_seed_fund_tables_are_read_and_clean() -> None:
    (table_004,) = read_fund_tables(load_report(seed_path("004")))
    assert [c.role for c in table_004.columns][2:6] == ["budget", "received", "spent", "balance"]
    assert len(table_004.rows) == 14 and table_004.total is not None
    (table_000,) = read_fund_tables(load_report(seed_path("000")))
    assert table_000.unit == "元" and len(table_000.rows) == 17 and table_000.total is None  # row 8's broken line joined back
    for number in ("000", "004"):
        assert table_findings(check_report(seed_path(number))) == []  # 004's 0.01 合计 differences are rounding


@pytest.mark.parametrize(("old", "new", "stated", "recomputed"), [
    ("\t166.20\n\t29.59", "\t166.20\n\t29.95", "29.95", "29.59"),  # a row's 结余
    ("\t195.79\n\t166.20", "\t195.79\n\t161.20", "29.59", "34.59"),  # a row's 支付: its 结余 and the column
    ("\t5,191.10", "\t5,181.10", "5181.10", "5191.09"),  # the 合计 row
], ids=["balance", "payment", "total"])
def test_injected_errors_in_004_table_1_1_are_found(old: str, new: str, stated: str, recomputed: str) -> None:
    text = seed_path("004").read_text(encoding="utf-8")
    report, line = inject(text, old, new, "004.txt")
    found = [f for f in report.errors if f.kind == "fund" and str(f.stated) == stated and str(f.recomputed) == recomputed]
    assert found, table_findings(report)
    assert any(0 <= line - place.line <= 7 or "合计" in place.quote for place in found[0].places)


def test_injected_payment_error_in_000_table_1_is_found_against_the_text_total() -> None:
    text = seed_path("000").read_text(encoding="utf-8")
    report, _ = inject(text, "\t1029000.00", "\t1092000.00", "000.txt")
    (finding,) = [f for f in report.errors if f.kind == "fund" and "列各行相加" in f.explanation]
    assert "36940706.54" in finding.explanation and "37003706.54" in finding.explanation


@pytest.mark.parametrize(("name", "old", "new", "kind"), [
    ("r05_shuzizhengfu.md", "| 828.00 | 895.60 | 716.48 | 86.53% |", "| 828.00 | 895.60 | 716.48 | 85.53% |", "ratio"),
    ("r07_zhihuichengshi.md", "| 980.00 | 980.00 | 826.40 | 153.60 |", "| 980.00 | 980.00 | 826.40 | 135.60 |", "fund"),
    ("r09_shujugongxiang.md", None, None, "fund"),
], ids=["row rate", "row balance", "column"])
def test_injected_errors_in_corpus_fund_tables_are_found(name: str, old: str | None, new: str | None, kind: str) -> None:
    text = (CORPUS / name).read_text(encoding="utf-8")
    if old is None:  # the first amount of the first item row, changed by 10
        (table,) = read_fund_tables(load_report(CORPUS / name))
        cell = table.rows[0].cells[table.money_columns[0].index]
        line = table.rows[0].place.line
        lines = text.split("\n")
        lines[line - 1] = lines[line - 1].replace(f"| {cell.text.strip()} |", f"| {cell.value + 10:.2f} |", 1)
        report = check_text("\n".join(lines), name)
    else:
        report, line = inject(text, old, new, name)
    assert any(f.kind == kind and f.severity == "error" for f in report.findings), table_findings(report)
    assert any(place.line == line for f in report.errors for place in f.places)


# ── repeated contract / payment / allocation / sub-project amounts ───────────


def test_001_allocation_1456_vs_1465_is_found() -> None:
    report = check_report(seed_path("001"))
    (finding,) = [f for f in report.errors if f.kind == "repeated" and str(f.stated) == "1456" and str(f.recomputed) == "1465"]
    assert [place.line for place in finding.places] == [59, 69] and "下拨" in finding.explanation


@pytest.mark.parametrize(("old", "new"), [
    ("电子证照库及数据共享对接合同348.00万元", "电子证照库及数据共享对接合同384.00万元"),  # a contract amount vs the table row
    ("第三方测评及监理合同45.20万元，已支付36.16万元", "第三方测评及监理合同45.20万元，已支付63.16万元"),  # a payment vs the table row
], ids=["contract", "payment"])
def test_injected_sub_project_amount_errors_are_found(old: str, new: str) -> None:
    text = (CORPUS / "r05_shuzizhengfu.md").read_text(encoding="utf-8")
    report, line = inject(text, old, new, "r05.md")
    found = [f for f in report.errors if f.kind == "repeated" and any(p.line == line for p in f.places)]
    assert found and "（表）" in found[0].explanation, [(f.kind, f.explanation) for f in report.findings]


def test_injected_dated_allocation_error_is_found() -> None:
    text = seed_path("001").read_text(encoding="utf-8")
    clean = text.replace("2023年下拨资金1456万元", "2023年下拨资金1465万元")
    assert not [f for f in check_text(clean, "001.txt").errors if "下拨" in f.explanation]
    report, _ = inject(clean, "共计1465万元", "共计1475万元", "001.txt")
    assert [f for f in report.errors if f.kind == "repeated" and "下拨" in f.explanation]


# ── a report the product writes passes its own checker ───────────────────────


@pytest.mark.parametrize("case", sorted((ROOT / "tests" / "fixtures" / "cases").glob("seed_*.yaml")), ids=lambda path: path.stem)
def test_the_products_own_drafts_pass_the_checker(case: object, tmp_path: object) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    out = Path(str(tmp_path)) / "draft.md"
    env = {**os.environ, "JIXIAO_HOME": str(Path(str(tmp_path)) / "home"), "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "jixiao", "draft", "report", str(case), "--no-precedents", "--out", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = check_report(out)
    assert report.findings == [], [f.explanation for f in report.findings]


# ── levels, upper bounds and ratio-scored leaves re-applied ──────────────────


def test_injected_ratio_score_error_is_found() -> None:
    text = (CORPUS / "r08_waiwang.md").read_text(encoding="utf-8")
    report, line = inject(text, "| 10 | 9.52 | 满意度95.20%，按比例计分", "| 10 | 9.52 | 满意度96.20%，按比例计分", "r08.md")
    (found,) = [f for f in report.errors if f.kind == "rule" and "按比例得分" in f.explanation]
    assert (str(found.stated), str(found.recomputed), found.places[0].line) == ("9.52", "9.62", line)


def test_injected_level_and_upper_bound_errors_are_found() -> None:
    text = seed_path("003").read_text(encoding="utf-8")
    report, line = inject(text, "资金使用合规性\t合规\t3\t好\t3", "资金使用合规性\t合规\t3\t较好\t3", "003.txt")
    (level,) = [f for f in report.findings if f.kind == "rule" and "较好" in f.explanation]
    assert (level.severity, str(level.recomputed), level.places[0].line) == ("warning", "2.40", line)  # 3 × 80 %
    report, line = inject(text, "资金节约率\t15%及其以下\t1\t=1%\t1", "资金节约率\t15%及其以下\t1\t=18%\t1", "003.txt")
    assert [f for f in report.findings if f.kind == "rule" and "超过上限" in f.explanation and f.places[0].line == line]
    report, line = inject(text, "资金节约率\t15%及其以下\t1\t=1%\t1", "资金节约率\t15%及其以下\t1\t=1%\t0.5", "003.txt")
    assert [f for f in report.findings if f.kind == "rule" and "上限之内" in f.explanation and f.places[0].line == line]
