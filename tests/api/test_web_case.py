"""The case editor end to end: upload seed 004's workbook, edit a finding, see the score change, draft, download, re-import.

Same set-up as tests/api/test_web.py: the session's real server and Debian's Chromium driven by Playwright (tests/conftest.py).
The workbook is the one tests/seed_workbook.py builds from seed 004's 附件1 + 附件2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import seed_path
from openpyxl import Workbook
from seed_workbook import build_seed_004_workbook

pytestmark = pytest.mark.slow

#: Internal keys a user must never read (a check's location, a figure's source).
INTERNAL = re.compile(r"funds\.\w|findings\[\d|stated\.\w|case:")
LEAF = "项目产出/产出质量/建设程序合规性"


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN", accept_downloads=True)  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()


def _bad_workbook(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "评分表"
    sheet.append(["某项目评分表"])
    sheet.append(["一级指标", "分值", "二级指标", "分值", "三级指标", "分值", "评价标准", "得分", "评价说明"])
    sheet.append(["决策", 10, "立项", 10, "立项依据充分性", 10, "每发现一例扣1分", "八分", "共2例，扣2分"])
    book.save(path)
    return path


def _download(page: object, selector: str, target: Path) -> Path:
    with page.expect_download() as info:  # type: ignore[attr-defined]
        page.click(selector)  # type: ignore[attr-defined]
    download = info.value
    saved = target / download.suggested_filename
    download.save_as(saved)
    return saved


def test_upload_edit_rescore_draft_download_and_reimport(server: str, page: object, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    from workspace.workspace import Workspace

    expect.set_options(timeout=60_000)  # two test workers: a kill -9 or README run may share the CPU
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))  # type: ignore[attr-defined]
    workbook = build_seed_004_workbook(seed_path("004"), tmp_path / "永州工作底稿.xlsx")
    page.goto(server + "/")  # type: ignore[attr-defined]

    # upload: the score, the inference table and the findings the importer could not place
    page.set_input_files("#case-file", str(workbook))  # type: ignore[attr-defined]
    expect(page.locator("#score-total")).to_contain_text("82.46")  # type: ignore[attr-defined]
    report = page.locator("#import-report")  # type: ignore[attr-defined]
    expect(report).to_contain_text("附件1 评分表")
    expect(report.locator("[data-testid=import-inferences] summary")).to_contain_text("27 个末级指标")
    expect(report.locator("[data-testid=import-unplaced]")).to_contain_text("第 3 条")
    expect(page.locator("#editor")).to_be_visible()  # type: ignore[attr-defined]
    rows = page.locator("[data-testid=finding-row]")  # type: ignore[attr-defined]
    count = rows.count()
    assert count > 30

    # edit finding 3 (unplaced): rewrite its wording and attach it to a per-finding leaf → one more deduction (0.5)
    third = rows.nth(2)
    third.locator("[data-field=issue]").fill("运维服务质量有待提高（复核后计入）")
    third.locator("[data-testid=finding-leaf]").select_option(LEAF)
    expect(page.locator("#score-total")).to_contain_text("81.96")  # type: ignore[attr-defined]
    expect(page.locator("#editor-status")).to_contain_text("已保存到会话")  # type: ignore[attr-defined]
    leaf_row = page.locator(f"#score-table tr[data-path='{LEAF}']")  # type: ignore[attr-defined]
    expect(leaf_row).to_contain_text("2.00")
    checks = page.locator("#checks").inner_text()  # type: ignore[attr-defined]
    assert "报告所写总分 82.46，重算为 81.96" in checks and not INTERNAL.search(checks), checks

    # reorder and delete work on the list (then put it back: move the edited finding down and up again)
    third.locator("button", has_text="下移").click()
    expect(rows.nth(3).locator("[data-field=issue]")).to_have_value("运维服务质量有待提高（复核后计入）")
    rows.nth(3).locator("button", has_text="上移").click()
    expect(rows.nth(2).locator("[data-field=issue]")).to_have_value("运维服务质量有待提高（复核后计入）")
    page.click("[data-testid=finding-add]")  # type: ignore[attr-defined]
    expect(rows).to_have_count(count + 1)
    rows.nth(count).locator("[data-testid=finding-delete]").click()
    expect(rows).to_have_count(count)

    # a bad edit shows the server's Chinese message and keeps the last good score
    page.click("#ed-indicators summary")  # type: ignore[attr-defined]
    weight = page.locator(f"[data-field='weight:{LEAF}']")  # type: ignore[attr-defined]
    weight.fill("三分")
    expect(page.locator("#editor-status")).to_contain_text("未重新评分")  # type: ignore[attr-defined]
    expect(page.locator("#editor-status")).to_contain_text("weight")  # type: ignore[attr-defined]
    weight.fill("3")
    expect(page.locator("#editor-status")).to_contain_text("已保存到会话")  # type: ignore[attr-defined]
    expect(page.locator("#score-total")).to_contain_text("81.96")  # type: ignore[attr-defined]

    # the chat drafts from the edited case (the session's case was saved)
    page.fill("#chat-input", "帮我起草存在的问题部分")  # type: ignore[attr-defined]
    page.click("#chat-send")  # type: ignore[attr-defined]
    answer = page.locator("#messages .message.assistant.done").last  # type: ignore[attr-defined]
    expect(answer).to_contain_text("存在的问题")
    expect(answer).to_contain_text("建设程序合规性")
    assert not INTERNAL.search(answer.inner_text())

    # download the case as .xlsx and YAML; both re-import with no loss
    edited = page.evaluate("window.jixiao.caseData()")  # type: ignore[attr-defined]
    xlsx = _download(page, "#download-xlsx", tmp_path)
    assert xlsx.suffix == ".xlsx"
    again = Workspace.import_case([(xlsx.name, xlsx.read_bytes())])
    assert Workspace.score(again.case).total == Workspace.score(Workspace.parse_case(edited)).total
    assert [(f.issue, f.indicator) for f in again.case.findings] == [(f.get("issue"), f.get("indicator")) for f in edited["findings"]]
    yaml_file = _download(page, "#download-yaml", tmp_path)
    assert yaml.safe_load(yaml_file.read_text(encoding="utf-8"))["findings"][2]["indicator"] == LEAF

    # re-import the downloaded workbook on the page: same score, same findings
    page.set_input_files("#case-file", str(xlsx))  # type: ignore[attr-defined]
    expect(page.locator("#import-report")).to_contain_text(xlsx.name)  # type: ignore[attr-defined]
    expect(page.locator("#score-total")).to_contain_text("81.96")  # type: ignore[attr-defined]
    expect(rows).to_have_count(count)
    expect(rows.nth(2).locator("[data-field=issue]")).to_have_value("运维服务质量有待提高（复核后计入）")
    page.screenshot(path=str(tmp_path / "case-editor.png"), full_page=True)  # type: ignore[attr-defined]

    # a bad workbook: the importer's message (sheet, row, column) on the page; the case on screen is kept
    page.set_input_files("#case-file", str(_bad_workbook(tmp_path / "坏底稿.xlsx")))  # type: ignore[attr-defined]
    error = page.locator("[data-testid=import-error]")  # type: ignore[attr-defined]
    expect(error).to_contain_text("工作表“评分表”第3行 H列（得分）")
    expect(error).to_contain_text("应为数字")
    expect(page.locator("#error-banner")).to_be_visible()  # type: ignore[attr-defined]
    expect(page.locator("#score-total")).to_contain_text("81.96")  # type: ignore[attr-defined]

    # an unsupported file is refused with a Chinese message
    odd = tmp_path / "说明.exe"
    odd.write_bytes(b"MZ")
    page.set_input_files("#case-file", str(odd))  # type: ignore[attr-defined]
    expect(error).to_contain_text("不支持的文件类型")
    assert not errors, errors
