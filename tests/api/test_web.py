"""The web page end to end: the real server, Debian's Chromium driven by Playwright.

Loads the sample case, streams a drafted 问题 section over SSE, opens a cited passage,
downloads the Word draft, asks for precedent wording, and saves a screenshot.
Chromium comes from the system package (scripts/test.sh installs it); a missing
browser is a failure, not a skip. The server and the browser are the session's
(``server`` and ``browser`` in tests/conftest.py), shared by the four browser tests.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_web_page_end_to_end(server: str, browser: object, tmp_path: Path) -> None:
    from docx import Document
    from playwright.sync_api import expect

    # A loaded 2-core CI machine (two test workers) sometimes answers slower than Playwright's 5 s default: wait like a patient user.
    expect.set_options(timeout=60_000)  # two test workers: a kill -9 or README run may share the CPU

    context = browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(60_000)
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    try:
        page.goto(server + "/")
        expect(page).to_have_title("绩效评价报告助手 · jixiao")

        # the sample case: score table with every indicator and the total
        page.click("#load-sample")
        table = page.locator("#score-table")
        expect(table).to_be_visible()
        expect(table.locator("tfoot")).to_contain_text("合计")
        expect(table.locator("tfoot")).to_contain_text("83.00")
        expect(page.locator("#score-grade")).to_contain_text("良")
        assert table.locator("tbody tr").count() > 10
        expect(page.locator("#checks .check.error").first).to_be_visible()

        # draft the problems section: streamed answer with citations, guard and a Word button
        page.fill("#chat-input", "帮我起草存在的问题部分")
        page.click("#chat-send")
        answer = page.locator("#messages .message.assistant.done").last
        expect(answer).to_contain_text("存在的问题")
        expect(answer.locator(".citation").first).to_be_visible()
        expect(answer.locator(".guard")).to_contain_text("数字核对")
        assert answer.locator("h4").count() >= 2, "the problem headings render as Markdown headings"

        # a citation opens the cited passage
        answer.locator(".citation").first.click()
        drawer = page.locator("#passage")
        expect(drawer).to_be_visible()
        expect(page.locator("#passage-text")).not_to_be_empty()
        assert len(page.locator("#passage-text").inner_text()) > 20
        expect(page.locator("#passage-display")).to_contain_text("《")
        page.screenshot(path=str(tmp_path / "passage.png"))
        page.click("#passage-close")
        expect(drawer).to_be_hidden()

        # the Word download is a real .docx
        with page.expect_download() as info:
            answer.locator(".download-docx").click()
        download = info.value
        assert download.suggested_filename.endswith(".docx"), download.suggested_filename
        saved = tmp_path / download.suggested_filename
        download.save_as(saved)
        document = Document(io.BytesIO(saved.read_bytes()))
        assert any("问题" in paragraph.text for paragraph in document.paragraphs)

        # precedent wording: a second answer with its own citations
        page.fill("#chat-input", "以往报告里资金拨付不及时怎么表述的？")
        page.keyboard.press("Enter")
        expect(page.locator("#messages .message.assistant.done")).to_have_count(2)
        second = page.locator("#messages .message.assistant.done").last
        expect(second).to_contain_text("以往报告")
        expect(second.locator(".citation").first).to_be_visible()
        assert second.locator(".citation").count() >= 2

        # an API error shows in the banner
        page.fill("#api-key", "not-a-key")
        page.dispatch_event("#api-key", "change")
        page.fill("#search-input", "资金拨付")
        page.click("#search-go")
        expect(page.locator("#error-banner")).to_be_visible()
        expect(page.locator("#error-banner")).to_contain_text("API 密钥无效")
        page.fill("#api-key", "")
        page.dispatch_event("#api-key", "change")  # changing the key clears the banner
        expect(page.locator("#error-banner")).to_be_hidden()

        # the precedent search panel
        page.fill("#search-input", "绩效目标不明确")
        page.select_option("#search-kind", "problems")
        page.click("#search-go")
        expect(page.locator("#search-results .hit").first).to_be_visible()
        expect(page.locator("#search-results .hit").first.locator(".tag").first).to_have_text("存在问题")

        # Markdown is rendered from escaped text
        html = page.evaluate("window.jixiao.renderMarkdown('## 标题\\n\\n<img src=x onerror=alert(1)> **要点**\\n- 一\\n- 二')")
        assert "<img" not in html and "&lt;img" in html
        assert "<h3>标题</h3>" in html and "<strong>要点</strong>" in html and "<li>二</li>" in html

        page.evaluate("window.scrollTo(0, 0)")  # the header and the chat column are sticky
        shot = tmp_path / "jixiao-web.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
        # the deliberate 403 above logs "Failed to load resource"; nothing else may
        assert not [e for e in console_errors if "Failed to load resource" not in e], console_errors
    finally:
        context.close()
