"""One registry mechanism: built-ins and plugins register through the same hooks, and a new item is one declaration."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import ROOT
from assistant.drafters import DRAFTERS
from assistant.draft_input import DraftInput
from assistant.drafting import draft_case
from assistant.models import Paragraph, Section, Sentence
from assistant.sections import SECTIONS, SectionSpec, choices_help, outline
from core.plugins import DuplicateName, Registry, hookimpl, register_plugin, unregister_plugin
from core.settings import load_settings
from retrieval.embedders import EMBEDDERS
from retrieval.loaders import LOADERS
from scoring import RULES, load_case

SAMPLE = load_case(ROOT / "corpus" / "cases" / "sample_case.yaml")


def build_risks(data: DraftInput, title: str) -> list[Section]:
    text = f"本项目总分{data.result.total:.2f}分，风险提示如下。"
    return [Section(name="risks", title=title, paragraphs=[Paragraph(sentences=[Sentence(text=text)])])]


class RisksSection:
    """A firm's own section: one declaration, nothing else edited."""

    @hookimpl
    def register_sections(self, register: Any) -> None:
        register(SectionSpec(name="risks", title="风险提示", build=build_risks, cues=("风险提示",), outline=75))


@pytest.fixture
def risks() -> Iterator[None]:
    name = register_plugin(RisksSection(), "firm.risks")
    yield
    unregister_plugin(name)
    assert "risks" not in SECTIONS


def test_builtins_register_through_the_same_hooks() -> None:
    assert {SECTIONS.owner(name) for name in SECTIONS} == {"assistant.sections"}
    assert {DRAFTERS.owner(name) for name in ("template", "llm")} == {"assistant.drafters"}
    assert {RULES.owner(name) for name in RULES} == {"scoring.rules"}
    assert LOADERS.owner("docx") == "retrieval.loaders"
    assert {EMBEDDERS.owner(name) for name in EMBEDDERS} == {"retrieval.embedders"}


def test_a_toy_section_is_one_declaration(risks: None, tmp_path: Any) -> None:
    assert "risks" in SECTIONS and "risks（风险提示）" in choices_help()  # CLI help and API docs
    draft = draft_case(SAMPLE, "risks")  # the drafter
    assert draft.sections[0].title == "风险提示" and "83.00" in draft.sections[0].paragraphs[0].text
    assert draft.guard is not None and draft.guard.ok  # the number guard runs on it like any section
    report = draft_case(SAMPLE, "report")  # the whole report places it by its outline position
    titles = [section.title for section in report.sections]
    assert "八、风险提示" in titles and titles[-2:] == ["九、其他需要说明的问题", "附件：问题清单"]  # the 附件 is not numbered
    assert [spec.name for spec in outline()][-3:] == ["risks", "other", "annex"]
    from api.app import create_app
    from workspace import Workspace
    from workspace.chat import answer

    reply = answer("帮我起草风险提示部分", SAMPLE, Workspace(load_settings(home=tmp_path)))  # the chat's cues
    assert reply.draft is not None and reply.draft.section == "risks"

    client = TestClient(create_app(load_settings(home=tmp_path)))
    response = client.post("/v1/drafts", json={"case": client.get("/v1/sample-case").json(), "section": "risks"})
    assert response.status_code == 200 and response.json()["sections"][0]["title"] == "风险提示"
    exported = client.post("/v1/drafts/export", json={"draft": response.json(), "format": "md"})
    assert "%E9%A3%8E%E9%99%A9%E6%8F%90%E7%A4%BA" in exported.headers["content-disposition"]  # 风险提示 in the file name


def test_an_unknown_section_is_refused_in_chinese(tmp_path: Any) -> None:
    from api.app import create_app

    client = TestClient(create_app(load_settings(home=tmp_path)))
    response = client.post("/v1/drafts", json={"case": client.get("/v1/sample-case").json(), "section": "risks"})
    assert response.status_code == 422 and "未知的章节" in response.json()["error"]["message"]


def test_a_duplicate_name_is_an_error_naming_both_plugins() -> None:
    class Clash:
        @hookimpl
        def register_sections(self, register: Any) -> None:
            register(SectionSpec(name="problems", title="重复", build=build_risks))

    name = register_plugin(Clash(), "firm.clash")
    try:
        with pytest.raises(DuplicateName, match="assistant.sections 与 firm.clash"):
            SECTIONS.names()
    finally:
        unregister_plugin(name)
    assert SECTIONS["problems"].title == "存在的问题及原因分析"


def test_a_registry_needs_a_hook_spec() -> None:
    with pytest.raises(ValueError):
        Registry("register_nothing", "无")


SLOW_BUILTIN = """import time

from core.plugins import hookimpl


class Item:
    name = "slow"


time.sleep(0.3)  # a built-in module that takes a while to import (the chat's intents pull in the drafting code)


@hookimpl
def register_sheet_kinds(register):
    register(Item())
"""


def test_a_registry_first_used_by_many_threads_at_once_has_its_builtins_in_every_thread(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server worker's first requests arrive together, one thread each: a thread must not collect the registry
    while another is still importing its built-ins (a soak's first chat messages answered 500:
    未知的对话能力 'help'（可用：无）)."""
    (tmp_path / "slow_builtin_items.py").write_text(SLOW_BUILTIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry: Registry[Any] = Registry("register_sheet_kinds", "测试项", builtins=("slow_builtin_items",))
    start = threading.Barrier(8)

    def first_use(_: int) -> list[str]:
        start.wait()
        return registry.names()

    try:
        with ThreadPoolExecutor(8) as pool:
            seen = list(pool.map(first_use, range(8)))
    finally:
        unregister_plugin("slow_builtin_items")
        sys.modules.pop("slow_builtin_items", None)
    assert all("slow" in names for names in seen), seen
    assert "slow" not in registry  # taken back out like any plugin
