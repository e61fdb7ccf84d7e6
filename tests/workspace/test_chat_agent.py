"""The chat with a model: a scripted OpenAI-compatible stub on 127.0.0.1 that issues tool calls (good and bad)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from core.settings import Settings, load_settings
from scoring import load_case
from scoring.io import case_to_data
from workspace import Workspace
from workspace.chat.agent import agent_for, tools

SAMPLE = load_case(ROOT / "corpus" / "cases" / "sample_case.yaml")


def call(name: str, arguments: Any, call_id: str = "call_1") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)}}


class Stub(BaseHTTPRequestHandler):
    """Answers each chat.completions request with the next scripted step: text, tool calls, or a stall."""

    script: list[Any] = []
    requests: list[dict[str, Any]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        Stub.requests.append(body)
        step = Stub.script.pop(0) if Stub.script else "好的。"
        if step == "stall":
            time.sleep(4)
            step = "迟到的回答"
        if body.get("stream"):
            self._stream(step)
            return
        message: dict[str, Any] = {"role": "assistant", "content": step if isinstance(step, str) else None}
        if isinstance(step, list):
            message["tool_calls"] = step
        payload = {
            "id": "c", "object": "chat.completion", "created": 0, "model": "stub",
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if isinstance(step, list) else "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        data = json.dumps(payload, ensure_ascii=False).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (the timeout test)
            pass


    def _stream(self, step: Any) -> None:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            data = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "stub", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()

        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self.wfile.write(chunk({"role": "assistant", "content": ""}))
            if isinstance(step, list):
                for i, tool_call in enumerate(step):
                    self.wfile.write(chunk({"tool_calls": [{"index": i, **tool_call}]}))
                self.wfile.write(chunk({}, "tool_calls"))
            else:
                for start in range(0, len(step), 8):
                    self.wfile.write(chunk({"content": step[start : start + 8]}))
                self.wfile.write(chunk({}, "stop"))
            self.wfile.write(b"data: [DONE]\n\n")
        except OSError:  # the client gave up (the timeout test)
            pass


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Stub.requests, Stub.script = [], []
    yield load_settings(home=tmp_path, llm_base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", llm_model="stub-qwen", llm_api_key="k", llm_timeout=3)
    server.shutdown()


def ask(settings: Settings, *script: Any, message: str = "产出指标为什么扣分", history: list[dict[str, Any]] | None = None) -> Any:
    Stub.script = list(script)
    return Workspace(settings).chat_answer(message, SAMPLE, "local", history or [])


def tool_messages(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in request["messages"] if m["role"] == "tool"]


def test_the_agent_is_used_only_with_a_model_configured(settings: Settings, tmp_path: Path) -> None:
    assert agent_for(load_settings(home=tmp_path)) is None
    assert agent_for(settings) is not None
    names = {spec.name for spec in tools()}
    assert {"why_deducted", "figure", "findings", "draft", "revise", "precedents", "check", "explain", "add_finding", "rewrite_cause"} <= names


def test_the_right_tool_runs_and_figures_come_from_its_result(settings: Settings) -> None:
    reply = ask(settings, [call("why_deducted", {"indicator": "产出"})], "“产出”分值35分，得29.46分，扣5.54分，主要是“社区服务事项上线数”得5.33分。")
    assert [t["name"] for t in reply.tools] == ["why_deducted"] and reply.intent == "why_deducted"
    sent = Stub.requests[0]
    assert {t["function"]["name"] for t in sent["tools"]} >= {"why_deducted", "draft"}
    result = json.loads(tool_messages(Stub.requests[1])[0]["content"])
    assert "5.54" in result["text"] and "算式" in result["text"]  # the tool result the model read
    assert reply.guard is not None and reply.guard.ok, reply.guard
    assert {f.text for f in reply.figures} >= {"29.46", "5.54", "5.33"}
    assert any(f.key.startswith("node:") for f in reply.figures)


def test_tokens_and_tool_calls_stream_as_events(settings: Settings) -> None:
    from workspace.chat.agent import agent_for

    agent = agent_for(settings)
    assert agent is not None
    Stub.script = [[call("why_deducted", {"indicator": "产出"})], "“产出”分值35分，得29.46分，扣5.54分。"]
    events = list(agent.events("产出指标为什么扣分", SAMPLE, Workspace(settings), "local", []))
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "tool" and kinds[-1] == "answer" and kinds.count("delta") >= 3
    assert all(body.get("stream") for body in Stub.requests)
    assert "".join(data for kind, data in events if kind == "delta") == "“产出”分值35分，得29.46分，扣5.54分。"


def test_the_guard_catches_an_invented_figure(settings: Settings) -> None:
    reply = ask(settings, [call("why_deducted", {"indicator": "产出"})], "“产出”扣6.54分。")
    assert reply.guard is not None and not reply.guard.ok
    assert [v.text for v in reply.guard.violations] == ["6.54"] and "数字核对" in reply.text


def test_the_claim_guard_catches_a_name_the_case_lacks(settings: Settings) -> None:
    reply = ask(settings, [call("why_deducted", {"indicator": "产出"})], "据永州市财政局通报，“产出”扣5.54分。")
    assert reply.guard is not None and not reply.guard.ok and not reply.guard.violations
    assert [v.kind for v in reply.guard.claim_violations] == ["name"] and "事实核对" in reply.text


def test_a_true_figure_no_tool_returned_is_not_trusted(settings: Settings) -> None:
    reply = ask(settings, [call("why_deducted", {"indicator": "产出"})], "预算执行率为85.96%。")  # right, but the model did not look it up
    assert reply.guard is not None and not reply.guard.ok
    assert "不在工具结果中" in reply.guard.violations[0].reason


def test_an_unknown_tool_is_answered_with_an_error_and_the_model_recovers(settings: Settings) -> None:
    reply = ask(settings, [call("delete_everything", {})], [call("figure", {"indicator": "总分"}, "call_2")], "综合得分83.00分。")
    assert [t["ok"] for t in reply.tools] == [False, True]
    assert "没有名为" in json.loads(tool_messages(Stub.requests[1])[0]["content"])["error"]
    assert reply.guard is not None and reply.guard.ok and "83.00" in reply.text


def test_bad_arguments_are_refused_without_running_the_tool(settings: Settings) -> None:
    reply = ask(settings, [call("revise", {"problem": "二"})], "好。")
    assert reply.tools[0]["ok"] is False and "缺少参数" in json.loads(tool_messages(Stub.requests[1])[0]["content"])["error"]


@pytest.mark.parametrize(
    "script, why",
    [
        ([[call("figure", "{not json")]], "格式有误"),
        ([[call("figure", {}, f"c{i}")] for i in range(8)], "超过 4 轮"),
        (["stall", "stall"], "未答复"),
    ],
    ids=["malformed", "loop", "timeout"],
)
def test_failures_end_in_the_routers_answer_with_a_note(settings: Settings, script: list[Any], why: str) -> None:
    started = time.monotonic()
    reply = ask(settings, *script)
    assert time.monotonic() - started < 15
    assert why in reply.text and "以下为规则助手的回答" in reply.text
    assert reply.intent == "why_deducted" and "扣分的末级指标" in reply.text  # the router's full answer


def test_drafting_through_the_agent_returns_the_checked_draft(settings: Settings) -> None:
    reply = ask(settings, [call("draft", {"section": "report"})], "已起草报告初稿，综合得分83.00分。", message="给我一份完整的报告初稿")
    assert reply.draft is not None and reply.draft.section == "report" and reply.draft.guard is not None and reply.draft.guard.ok
    assert "## 一、基本情况" in reply.text and reply.citations is not None


def test_a_case_edit_is_proposed_by_the_agent_and_confirmed_by_the_evaluator(settings: Settings) -> None:
    workspace = Workspace(settings)
    session = workspace.new_session("local", case_to_data(SAMPLE))
    Stub.script = [[call("add_finding", {"sentence": "再加一条：社区服务平台软件运维项目验收滞后两个月"})], "已拟新增一条问题，请确认。"]
    _, _, proposed, payload = workspace.chat(session, "local", "再加一条：社区服务平台软件运维项目验收滞后两个月")
    assert proposed.proposal is not None and payload["proposal"]["op"] == "add_finding" and payload["tools"][0]["name"] == "add_finding"
    asked = len(Stub.requests)
    _, _, done, payload = workspace.chat(session, "local", "确认")
    assert len(Stub.requests) == asked  # the evaluator's confirmation is applied without the model
    assert payload["changes"][0]["op"] == "add_finding"
    assert len(workspace.session_case(session, "local")["case"]["findings"]) == len(SAMPLE.findings) + 1
    history = workspace.session(session, "local")["messages"]
    assert history[-1]["changes"] == payload["changes"]


def test_the_api_streams_the_agents_tool_calls_and_tokens(settings: Settings) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app
    from conftest import sse

    client = TestClient(create_app(settings))
    session = client.post("/v1/sessions", json={"case": case_to_data(SAMPLE)}).json()["id"]
    Stub.script = [[call("why_deducted", {"indicator": "产出"})], "“产出”分值35分，得29.46分，扣5.54分。"]
    events = sse(client.post(f"/v1/sessions/{session}/messages", json={"content": "产出指标为什么扣分"}, headers={"accept": "text/event-stream"}).text)
    names = [name for name, _ in events]
    assert names[0] == "tool" and names.index("delta") < names.index("intent") and names[-1] == "done"
    assert ("intent", {"intent": "why_deducted"}) in events and "tools" in names
    stored = client.get(f"/v1/sessions/{session}").json()["messages"][-1]
    assert stored["tools"][0]["name"] == "why_deducted" and stored["guard"]["ok"] is True
    assert "".join(data["text"] for name, data in events if name == "delta") == stored["content"]
