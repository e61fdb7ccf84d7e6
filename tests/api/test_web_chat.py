"""The chat in the browser: the whole report, why 产出 lost points, a problem in more detail, a finding added by a sentence.

The real server and Debian's Chromium (the session's ``server`` and ``browser`` fixtures in tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


pytestmark = pytest.mark.slow


def test_chat_capabilities_in_the_browser(server: str, browser: object, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=60_000)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(60_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    answers = page.locator("#messages .message.assistant.done")

    def ask(text: str, count: int) -> Any:
        page.fill("#chat-input", text)
        page.click("#chat-send")
        expect(answers).to_have_count(count)
        return answers.last

    try:
        page.goto(server + "/")
        page.click("#load-sample")
        expect(page.locator("#score-table tfoot")).to_contain_text("83.00")

        report = ask("给我一份完整的报告初稿", 1)
        expect(report).to_contain_text("一、基本情况")
        expect(report).to_contain_text("存在的问题及原因分析")
        expect(report.locator(".citation").first).to_be_visible()
        expect(report.locator(".figures summary")).to_contain_text("数字来源")
        expect(report.locator(".guard")).to_contain_text("通过")

        why = ask("产出指标为什么扣分", 2)
        expect(why).to_contain_text("扣分的末级指标")
        expect(why).to_contain_text("社区服务事项上线数")
        why.locator(".figures summary").click()
        expect(why.locator(".figures li").first).to_contain_text("←")
        expect(why.locator(".guard")).to_contain_text("通过")

        detail = ask("把第二个问题写得更具体一些", 3)
        expect(detail).to_contain_text("涉及指标")
        expect(detail.locator(".figures summary")).to_contain_text("数字来源")
        expect(detail.locator(".download-docx")).to_be_visible()

        proposed = ask("再加一条：社区服务平台软件运维项目验收滞后两个月", 4)
        expect(proposed).to_contain_text("回复「确认」")
        expect(proposed).to_contain_text("验收")
        proposed.locator(".confirm-change").click()
        expect(answers).to_have_count(5)
        done = answers.last
        expect(done.locator(".changes")).to_contain_text("问题清单新增第")
        expect(done).to_contain_text("重新评分")
        done.locator(".figures summary").click()
        expect(done.locator(".figures li").first).to_contain_text("←")
        expect(page.locator("#score-table tfoot")).not_to_contain_text("83.00")  # the score table follows the edited case
        page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)
        assert not errors, errors
    finally:
        context.close()
