"""A misbehaving LLM endpoint (a stub OpenAI server on 127.0.0.1): never a silent wrong number.

Faults: the endpoint sleeps past ``llm_timeout``; answers HTTP 500; answers
200 with a body that is not JSON, or JSON that is not a completion, or a
completion with no text; breaks off a stream in the middle; or writes a draft
with invented numbers, twice (the retry too). Through the library, the API
(JSON and SSE) and the CLI, the user gets either the template draft with a note
saying why, or the model's draft with every number that is not a computed
figure listed as a violation (and marked 【待核：…】 in the Markdown export).

The check is independent of what the draft says about itself: the guard is run
again on the returned text, and every number it rejects must be among the
draft's reported violations.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import CASES
from assistant.drafting import draft_case, stream_case
from assistant.export_docx import export_markdown
from assistant.figures import FigureBook
from assistant.guard import check_draft
from assistant.models import Draft
from core.settings import load_settings
from reliability.fault_helpers import jixiao, jixiao_env
from scoring import load_case, score_case
from scoring.io import case_to_data

TIMEOUT = 0.5
GOOD = """# （一）政府采购管理不规范

评价发现，永州市政府门户网站运维等项目存在政府采购管理不规范的情况。一是未落实政府采购流程，政府采购程序后置。上述问题影响“制度执行有效性”指标，该指标得3.40分。主要原因是采购计划与项目实施进度衔接不紧。

# （二）合同管理不规范

经核查，电子政务外网网络租赁项目合同签订不及时。项目总分82.46分，等级为“良”。主要原因是合同管理缺少专人跟踪。
"""
INVENTED = ("3.37", "82.64", "17.5")
BAD = GOOD.replace("3.40分", "3.37分").replace("82.46分", "82.64分").replace("主要原因是合同管理", "涉及金额17.5万元，主要原因是合同管理")


class Stub(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat endpoint that misbehaves as told: ``plan`` is consumed one request at a time."""

    plan: list[str] = []
    seen: list[tuple[str, bool]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        behaviour = Stub.plan.pop(0) if len(Stub.plan) > 1 else Stub.plan[0]
        Stub.seen.append((behaviour, bool(body.get("stream"))))
        if behaviour == "timeout":
            time.sleep(TIMEOUT * 6)
            return self._send(200, json.dumps(_completion(GOOD)).encode())
        if behaviour == "http500":
            return self._send(500, b'{"error": {"message": "upstream model crashed", "type": "server_error"}}')
        if behaviour == "not_json":
            return self._send(200, b"<html>502 Bad Gateway</html>{{{")
        if behaviour == "wrong_json":
            return self._send(200, b'{"result": "ok", "choices": "none"}')
        if behaviour == "no_text":
            return self._send(200, json.dumps(_completion(None)).encode())
        reply = {"good": GOOD, "bad": BAD, "chatter": "好的，我会按要求起草。"}[behaviour.removeprefix("broken_")]
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for i in range(0, len(reply), 12):
                if behaviour.startswith("broken_") and i >= 36:
                    self.wfile.write(b"data: {\"id\": \"c\", \"choices\": [{\"delta\": {\"content\": \"\xe4\xb8\n\n")  # cut mid-character, mid-JSON
                    self.wfile.flush()
                    self.connection.shutdown(2)
                    return
                chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "stub", "choices": [{"index": 0, "delta": {"content": reply[i : i + 12]}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            return
        self._send(200, json.dumps(_completion(reply), ensure_ascii=False).encode())

    def _send(self, status: int, data: bytes) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (timeout): nothing to answer
            pass


def _completion(content: str | None) -> dict[str, Any]:
    return {
        "id": "c", "object": "chat.completion", "created": 0, "model": "stub",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


@pytest.fixture(scope="module")
def stub_url() -> Iterator[str]:
    server = QuietServer(("127.0.0.1", 0), Stub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def case():  # type: ignore[no-untyped-def]
    return load_case(CASES / "seed_004.yaml")


def settings_for(url: str, home: Path | None = None) -> Any:
    return load_settings(llm_base_url=url, llm_model="stub-qwen", llm_api_key="k", llm_timeout=TIMEOUT, **({"home": home} if home else {}))


def assert_no_silent_wrong_number(draft: Draft, case: Any) -> None:
    """Every number the guard rejects in the returned text is reported; invented numbers are marked in the export."""
    assert draft.guard is not None, "a draft is never returned unchecked"
    book = FigureBook.from_case(case, score_case(case))
    fresh = check_draft(draft, book)
    reported = {(v.section, v.paragraph, v.start, v.text) for v in draft.guard.violations}
    missing = [v for v in fresh.violations if (v.section, v.paragraph, v.start, v.text) not in reported]
    assert not missing, f"numbers that fail the guard but are not reported: {[v.text for v in missing]}"
    assert draft.guard.ok == (not fresh.violations)
    text = "\n".join(p.text for s in draft.sections for p in s.paragraphs)
    exported = export_markdown(draft)
    for number in INVENTED:
        if number in text:
            assert number in {v.text for v in draft.guard.violations}, number
            assert f"【待核：{number}" in exported, number


def assert_fell_back(draft: Draft, case: Any, why: str) -> None:
    assert draft.backend == "template", draft.backend
    assert any("已改用模板草稿" in note for note in draft.notes), draft.notes
    assert any(re.search(why, note) for note in draft.notes), draft.notes
    assert draft.guard is not None and draft.guard.ok
    assert_no_silent_wrong_number(draft, case)


FALLBACKS = [
    (["timeout"], "模型调用失败：.*(Timeout|timed out)"),
    (["http500"], "模型调用失败：.*500"),
    (["not_json"], "模型调用失败"),
    (["wrong_json"], "模型调用失败|不是可用的草稿|不是文本"),
    (["no_text"], "不是可用的草稿|不是文本"),
    (["chatter"], "不是可用的草稿"),
    (["bad", "timeout"], "模型调用失败：.*(Timeout|timed out)"),  # the repair request times out
    (["bad", "not_json"], "模型调用失败"),  # the repair request answers garbage
]


@pytest.mark.parametrize(("plan", "why"), FALLBACKS, ids=["timeout", "http500", "not-json", "wrong-json", "no-text", "chatter", "repair-timeout", "repair-garbage"])
def test_endpoint_failures_give_the_template_draft_with_a_note(stub_url: str, case: Any, plan: list[str], why: str) -> None:
    Stub.plan, Stub.seen = list(plan), []
    started = time.monotonic()
    draft = draft_case(case, "problems", backend="llm", settings=settings_for(stub_url))
    elapsed = time.monotonic() - started
    assert_fell_back(draft, case, why)
    if "timeout" in plan:
        assert elapsed < 10 * TIMEOUT + 5, f"a timed-out endpoint must not hang the draft ({elapsed:.1f} s)"
    print(f"{'+'.join(plan)}: {len(Stub.seen)} requests, {elapsed:.2f} s → template draft")


def test_invented_numbers_twice_are_marked_never_silent(stub_url: str, case: Any) -> None:
    Stub.plan, Stub.seen = ["bad", "bad"], []
    draft = draft_case(case, "problems", backend="llm", settings=settings_for(stub_url))
    assert len(Stub.seen) == 2, "one repair request, then the violations are marked"
    assert draft.backend == "llm:stub-qwen"
    assert draft.guard is not None and not draft.guard.ok
    assert {v.text for v in draft.guard.violations} >= set(INVENTED)
    assert any("已在文中标出" in note for note in draft.notes)
    assert_no_silent_wrong_number(draft, case)


@pytest.mark.parametrize("plan", [["timeout"], ["broken_good"], ["bad", "bad"]], ids=["timeout", "stream-cut-mid-json", "invented-twice"])
def test_streaming_faults(stub_url: str, case: Any, plan: list[str]) -> None:
    Stub.plan, Stub.seen = list(plan), []
    events = list(stream_case(case, "problems", backend="llm", settings=settings_for(stub_url)))
    final = events[-1]
    assert final.type == "draft" and final.draft is not None
    if plan == ["bad", "bad"]:
        assert final.draft.guard is not None and not final.draft.guard.ok
        assert any(e.type == "notice" and "已在文中标出" in (e.text or "") for e in events)
        assert_no_silent_wrong_number(final.draft, case)
    else:
        assert any(e.type == "notice" and "已改用模板草稿" in (e.text or "") for e in events)
        assert_fell_back(final.draft, case, "模型调用失败")


def _sse(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((lines.get("event", ""), json.loads(lines.get("data", "null"))))
    return events


@pytest.mark.parametrize("plan", [["http500"], ["bad", "bad"]], ids=["http500", "invented-twice"])
def test_over_the_api(stub_url: str, case: Any, plan: list[str], tmp_path: Path) -> None:
    from api.app import create_app

    client = TestClient(create_app(settings_for(stub_url, tmp_path / "home")))
    body = {"case": case_to_data(case), "section": "problems", "backend": "llm"}

    Stub.plan = list(plan)
    response = client.post("/v1/drafts", json=body)
    assert response.status_code == 200, response.text
    draft = Draft.model_validate(response.json())
    Stub.plan = list(plan)
    streamed = client.post("/v1/drafts", json=body, headers={"accept": "text/event-stream"})
    events = _sse(streamed.text)
    assert events[-1][0] == "done"
    final = Draft.model_validate(next(data for name, data in events if name == "draft"))
    guard = next(data for name, data in events if name == "guard")
    for result in (draft, final):
        if plan == ["http500"]:
            assert_fell_back(result, case, "模型调用失败：.*500")
        else:
            assert result.guard is not None and not result.guard.ok
            assert_no_silent_wrong_number(result, case)
    assert guard == (final.guard.model_dump() if final.guard else None)


@pytest.mark.slow
def test_on_the_command_line(stub_url: str, tmp_path: Path) -> None:
    """``jixiao draft --backend llm``: a timeout gives the template draft and says so; invented numbers are listed and fail --strict."""
    env = jixiao_env(JIXIAO_LLM_BASE_URL=stub_url, JIXIAO_LLM_MODEL="stub-qwen", JIXIAO_LLM_TIMEOUT=str(TIMEOUT), JIXIAO_HOME=str(tmp_path / "home"))
    case_file = str(CASES / "seed_004.yaml")

    Stub.plan = ["timeout"]
    run = subprocess.run(jixiao("draft", "problems", case_file, "--backend", "llm", "--no-precedents"), env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "已改用模板草稿" in run.stderr and "数字核对：通过" in run.stderr and "Traceback" not in run.stderr

    Stub.plan = ["bad", "bad"]
    out = tmp_path / "draft.md"
    run = subprocess.run(jixiao("draft", "problems", case_file, "--backend", "llm", "--no-precedents", "--strict", "--out", str(out)), env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    assert "Traceback" not in run.stderr
    for number in INVENTED:
        assert f"“{number}”" in run.stderr, run.stderr  # each one listed on the terminal
        assert f"【待核：{number}" in out.read_text(encoding="utf-8")  # and marked in the file
