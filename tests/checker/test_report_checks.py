"""Report checks are declared once: the registry, a toy plugin check, and checking an upload from bytes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import FrozenInstanceError
from typing import Any

import pytest
from conftest import ROOT, seed_path

from checker import CheckError, Finding, check_bytes, check_report, check_text
from checker.checks import REPORT_CHECKS, ReportCheck, finding
from checker.document import load_report
from checker.facts import ReportFacts, analyse
from core.plugins import hookimpl, register_plugin, unregister_plugin

R02 = ROOT / "corpus" / "reports" / "r02_dengbao.md"


def toy_check(facts: ReportFacts) -> Iterator[Finding]:
    if facts.stated_total is not None and facts.tree.totals:
        yield finding("toy", "info", [facts.tree.totals[0].place], f"玩具核对：报告写总得分 {facts.stated_total}。", facts.stated_total)


class ToyPlugin:
    @hookimpl
    def register_report_checks(self, register: Any) -> None:
        register(ReportCheck("toy", "玩具核对", toy_check))


def test_builtin_checks_are_registered_through_the_hook() -> None:
    names = REPORT_CHECKS.names()
    assert {"mentions", "repeated_nodes", "sums", "rates", "grade", "items", "counts", "target_rules",
            "per_finding_rules", "formulas", "ratios", "identities", "balances"} <= set(names)
    assert REPORT_CHECKS.owner("sums") == "checker.checks"
    assert all(REPORT_CHECKS[name].title for name in names)


def test_a_toy_check_takes_one_declaration_and_no_edit_elsewhere() -> None:
    text = R02.read_text(encoding="utf-8")
    assert "toy" not in {f.kind for f in check_text(text, "r02.md").findings}
    name = register_plugin(ToyPlugin(), name="toy-report-check")
    try:
        assert "toy" in REPORT_CHECKS
        report = check_text(text, "r02.md")
        toy = [f for f in report.findings if f.kind == "toy"]
        assert len(toy) == 1 and toy[0].severity == "info" and "玩具核对" in toy[0].explanation
        assert report.findings[-1].kind == "toy"  # info after errors and warnings
    finally:
        unregister_plugin(name)
    assert "toy" not in REPORT_CHECKS
    assert "toy" not in {f.kind for f in check_text(text, "r02.md").findings}


def test_facts_are_read_only() -> None:
    facts = analyse(load_report(R02))
    with pytest.raises(FrozenInstanceError):
        facts.stated_total = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        facts.funds["budget"] = 0  # type: ignore[index]


def test_check_bytes_is_check_report_without_a_file() -> None:
    for path in (seed_path("003"), R02):
        assert check_bytes(path.read_bytes(), path.name) == check_report(path)
    with pytest.raises(CheckError, match="不支持的文件类型"):
        check_bytes(b"x", "report.xls")
    with pytest.raises(CheckError, match="为空"):
        check_bytes(b"", "report.txt")


def test_check_bytes_reads_a_docx_upload(tmp_path: Any) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("某项目绩效评价报告")
    document.add_paragraph("项目预算100万元，实际支出90万元，预算执行率91%。")
    path = tmp_path / "upload.docx"
    document.save(path)
    assert check_bytes(path.read_bytes(), "C:\\用户\\upload.docx") == check_report(path)


class _Declared:
    """The facts with only the fields a check declares (its helpers need the fields they read)."""

    _HELPERS = {"weight_of": "sums", "score_of": "sums", "root_for": "tree"}

    def __init__(self, facts: ReportFacts, reads: tuple[str, ...]) -> None:
        self._facts, self._reads = facts, set(reads)

    def __getattr__(self, name: str) -> Any:
        needed = self._HELPERS.get(name, name)
        if needed not in self._reads:
            raise AssertionError(f"reads undeclared fact {name!r}")
        return getattr(self._facts, name)


@pytest.mark.parametrize("number", ["000", "001", "002", "003", "004"])
def test_every_builtin_check_reads_only_what_it_declares(number: str) -> None:
    facts = analyse(load_report(seed_path(number)))
    for check in REPORT_CHECKS.values():
        if REPORT_CHECKS.owner(check.name) != "checker.checks":
            continue
        assert check.reads, check.name
        assert list(check.run(_Declared(facts, check.reads))) == list(check.run(facts))  # type: ignore[arg-type]


def test_an_unknown_declared_input_is_an_error() -> None:
    with pytest.raises(ValueError, match="未知的输入"):
        ReportCheck("bad", "坏", toy_check, reads=("no_such_fact",))
