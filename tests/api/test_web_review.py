"""The 报告核对 panel end to end: upload a seed, see the findings, click one, see its place highlighted.

Same set-up as tests/api/test_web.py: the session's real server and Debian's Chromium driven by Playwright (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMIUM, CHROMIUM_ARGS, seed_path

pytestmark = pytest.mark.slow


@pytest.fixture()
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="zh-CN")  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()


def test_review_panel_lists_findings_and_highlights_the_place(server: str, page: object, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    assert CHROMIUM.exists() and CHROMIUM_ARGS
    expect.set_options(timeout=60_000)  # two test workers: a kill -9 or README run may share the CPU
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))  # type: ignore[attr-defined]
    page.goto(server + "/")  # type: ignore[attr-defined]
    page.set_input_files("#review-file", str(seed_path("001")))  # type: ignore[attr-defined]
    findings = page.locator("#review-findings .check")  # type: ignore[attr-defined]
    expect(findings).to_have_count(2)
    expect(page.locator("#review-summary")).to_contain_text("错误 2 条")  # type: ignore[attr-defined]
    findings.nth(1).click()
    hit = page.locator("#review-text .line.hit").first  # type: ignore[attr-defined]
    expect(hit).to_be_visible()
    expect(hit.locator("mark")).to_contain_text("1466.61")
    expect(page.locator("#review-download")).to_be_visible()  # type: ignore[attr-defined]
    page.locator(".panel.review").screenshot(path=str(tmp_path / "review.png"))  # type: ignore[attr-defined]
    # the same report as Word: the page shows its text (returned by the server) and highlights the place too
    import docx

    document = docx.Document()
    for line in seed_path("001").read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    document.save(tmp_path / "001.docx")
    page.set_input_files("#review-file", str(tmp_path / "001.docx"))  # type: ignore[attr-defined]
    expect(page.locator("#review-summary")).to_contain_text("错误 2 条")  # type: ignore[attr-defined]
    findings.nth(1).click()
    expect(page.locator("#review-text .line.hit mark").first).to_contain_text("1466.61")  # type: ignore[attr-defined]
    assert page.locator("#review-text .line").count() > 50  # type: ignore[attr-defined]  # the whole text, not only the quotes
    assert errors == []
