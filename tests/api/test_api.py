"""Every HTTP endpoint through FastAPI's TestClient: results, streaming, auth, bad input, limits, persistence."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from docx import Document
from fastapi.testclient import TestClient

from conftest import CASES, ROOT, sse
from api.app import create_app
from workspace.db import Database
from workspace.keys import KeyStore
from core.settings import load_settings
from retrieval.embedders import HashEmbedder
from retrieval.index import PrecedentIndex
from scoring.io import case_to_data, load_case

SAMPLE = case_to_data(load_case(ROOT / "corpus" / "cases" / "sample_case.yaml"))
SEED_004 = case_to_data(load_case(CASES / "seed_004.yaml"))


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("api-home")


@pytest.fixture(scope="module")
def index(home: Path) -> PrecedentIndex:
    index = PrecedentIndex(home, HashEmbedder())
    index.ingest([ROOT / "corpus" / "reports", ROOT / "corpus" / "policies"])
    return index


@pytest.fixture(scope="module")
def client(home: Path, index: PrecedentIndex) -> TestClient:
    return TestClient(create_app(load_settings(home=home), index=index, max_upload_mb=1))


@pytest.fixture(scope="module")
def keys(home: Path) -> dict[str, str]:
    store = KeyStore(Database(home / "jixiao.sqlite3"))
    return {"a": store.create("评价一部"), "b": store.create("评价二部")}


@pytest.fixture(scope="module")
def secured(home: Path, index: PrecedentIndex, keys: dict[str, str]) -> TestClient:
    return TestClient(create_app(load_settings(home=home), index=index, require_auth=True))


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "auth": False, "index": True}


def test_an_unexpected_failure_is_a_500_in_chinese_that_names_the_worker(home: Path, index: PrecedentIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception no handler expects is answered by Starlette outside every middleware: the answer still names
    the worker (the load test counts 5xx per worker) and says what happened in Chinese, without a traceback."""
    from workspace import Workspace

    def broken(case: object) -> None:
        raise RuntimeError("scoring state at 0x7f")

    client = TestClient(create_app(load_settings(home=home), index=index), raise_server_exceptions=False)
    assert client.post("/v1/score", json={"case": SEED_004}).headers.get_list("x-jixiao-worker") == [str(os.getpid())]
    monkeypatch.setattr(Workspace, "score", staticmethod(broken))
    response = client.post("/v1/score", json={"case": SEED_004})
    assert response.status_code == 500 and response.headers.get_list("x-jixiao-worker") == [str(os.getpid())]
    error = response.json()["error"]
    assert error["code"] == "internal" and error["message"].startswith("服务器内部错误（RuntimeError）")
    assert "0x7f" not in response.text and "Traceback" not in response.text


def test_score(client: TestClient) -> None:
    data = client.post("/v1/score", json={"case": SEED_004}).json()
    assert data["total"] == 82.46 and data["grade"] == "良"
    assert any(node["audit"].startswith("预算执行率 = 5191.10") for node in data["nodes"])


def test_score_bad_case_is_422_with_field(client: TestClient) -> None:
    bad = json.loads(json.dumps(SAMPLE))
    bad["indicators"][0]["weight"] = "两分"
    response = client.post("/v1/score", json={"case": bad})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_case" and error["field"] == "indicators[0].weight" and "应为数字" in error["message"]
    missing = client.post("/v1/score", json={})
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "case"
    assert client.post("/v1/score", content=b"not json", headers={"content-type": "application/json"}).status_code == 422


def test_search_with_filters_and_citations(client: TestClient) -> None:
    hits = client.post("/v1/precedents/search", json={"query": "资金拨付不及时", "k": 3, "kinds": ["problems"]}).json()
    assert 0 < len(hits) <= 3 and all(hit["section_kind"] == "problems" for hit in hits)
    assert hits[0]["citation"]["display"].startswith("《")
    doc_id, ordinal = hits[0]["chunk_id"].split("@")[0], hits[0]["chunk_id"].rsplit("#", 1)[1]
    passage = client.get(f"/v1/passages/{doc_id}/{ordinal}").json()
    assert passage["text"] == hits[0]["text"]
    assert client.get("/v1/passages/r01_zhengwuyun/99999").status_code == 404
    assert client.post("/v1/precedents/search", json={"query": "x", "kinds": ["nonsense"]}).status_code == 422
    assert client.post("/v1/precedents/search", json={"query": "验" * 5000}).status_code == 422


def test_draft_json_and_stream(client: TestClient) -> None:
    draft = client.post("/v1/drafts", json={"case": SEED_004, "section": "problems"}).json()
    assert draft["guard"]["ok"] is True and draft["sections"][0]["paragraphs"]
    response = client.post("/v1/drafts", json={"case": SEED_004, "section": "suggestions"}, headers={"accept": "text/event-stream"})
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse(response.text)
    kinds = [name for name, _ in events]
    assert kinds.count("delta") >= 2 and kinds[-1] == "done"
    assert kinds.index("citations") < kinds.index("draft") and "guard" in kinds  # arrive in the stream, before the end
    citations = next(data for name, data in events if name == "citations")
    assert citations and all(c["display"].startswith("《") for c in citations)
    bad = client.post("/v1/drafts", json={"case": SEED_004, "section": "summary"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "section"


def test_export_docx_and_markdown(client: TestClient) -> None:
    draft = client.post("/v1/drafts", json={"case": SAMPLE, "section": "report"}).json()
    response = client.post("/v1/drafts/export", json={"draft": draft, "format": "docx"})
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    document = Document(io.BytesIO(response.content))
    assert any(p.text == "六、存在的问题及原因分析" for p in document.paragraphs) and document.tables
    markdown = client.post("/v1/drafts/export", json={"draft": draft, "format": "md"})
    assert markdown.text.startswith("## 一、基本情况")


def test_documents_upload_list_delete_and_limits(client: TestClient, tmp_path: Path) -> None:
    text = "# 2022年测试市某平台项目绩效评价报告\n\n## 六、存在的问题\n\n### （一）运维记录不全\n\n运维日志缺页，巡检表未签字。\n"
    created = client.post("/v1/documents", files={"file": ("upload_test.md", text.encode(), "text/markdown")})
    assert created.status_code == 201, created.text
    assert created.json()["doc_id"] == "upload_test"
    listed = {doc["doc_id"]: doc for doc in client.get("/v1/documents").json()}
    assert listed["upload_test"]["uploaded"] is True and "r01_zhengwuyun" in listed
    hits = client.post("/v1/precedents/search", json={"query": "巡检表未签字", "k": 1}).json()
    assert hits[0]["doc_id"] == "upload_test"
    assert client.delete("/v1/documents/upload_test").json() == {"deleted": "upload_test"}
    assert client.delete("/v1/documents/r01_zhengwuyun").status_code == 404  # bundled, not uploaded by this key
    too_big = client.post("/v1/documents", files={"file": ("big.txt", b"x" * (2 * 1024 * 1024), "text/plain")})
    assert too_big.status_code == 413 and too_big.json()["error"]["code"] == "too_large"
    wrong_type = client.post("/v1/documents", files={"file": ("evil.exe", b"MZ", "application/octet-stream")})
    assert wrong_type.status_code == 415
    traversal = client.post("/v1/documents", files={"file": ("../../etc/passwd.txt", b"root", "text/plain")})
    assert traversal.status_code in (201, 422) and not (Path("/etc") / "passwd.txt").exists()
    if traversal.status_code == 201:
        assert traversal.json()["doc_id"] == "passwd"
        client.delete("/v1/documents/passwd")
    empty = client.post("/v1/documents", files={"file": ("empty.txt", b"", "text/plain")})
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "unreadable_document"
    assert client.delete("/v1/documents/..%2F..%2Fetc").status_code in (404, 422)


def test_chat_session_flow_streaming_and_history(client: TestClient) -> None:
    session = client.post("/v1/sessions", json={"case": SEED_004, "title": "永州"}).json()["id"]
    requests = {
        "帮我起草存在的问题部分": "draft",
        "把第二个问题写得更具体一些": "revise",
        "以往报告里资金拨付不及时怎么表述的？": "precedents",
        "预算执行率是多少，扣了几分？": "figure",
        "这份报告的总分算得对吗？": "check",
    }
    for text, intent in requests.items():
        response = client.post(f"/v1/sessions/{session}/messages", json={"content": text}, headers={"accept": "text/event-stream"})
        events = sse(response.text)
        assert events[0] == ("intent", {"intent": intent}), text
        assert events[-1][0] == "done"
        body = "".join(data["text"] for name, data in events if name == "delta")
        assert body.strip(), text
    history = client.get(f"/v1/sessions/{session}").json()
    assert [m["role"] for m in history["messages"]] == ["user", "assistant"] * len(requests)
    answers = [m for m in history["messages"] if m["role"] == "assistant"]
    assert answers[0]["citations"] and answers[0]["guard"]["ok"] is True and answers[0]["draft"]
    assert answers[2]["citations"]
    assert "95.91%" in answers[3]["content"] and any(f["key"] == "funds:execution_rate" for f in answers[3]["figures"])
    assert "82.46" in answers[4]["content"]
    assert client.post(f"/v1/sessions/{session}/messages", json={"content": ""}).status_code == 422
    assert client.get("/v1/sessions/no-such-session").status_code == 404


def test_session_without_case_asks_for_one(client: TestClient) -> None:
    session = client.post("/v1/sessions", json={}).json()["id"]
    reply = client.post(f"/v1/sessions/{session}/messages", json={"content": "帮我起草存在的问题部分"}).json()
    assert "还没有案例" in reply["content"]
    assert client.put(f"/v1/sessions/{session}/case", json={"case": SAMPLE}).status_code == 200
    reply = client.post(f"/v1/sessions/{session}/messages", json={"content": "预算执行率是多少"}).json()
    assert "85.96%" in reply["content"]


def test_sessions_survive_a_restart(home: Path, index: PrecedentIndex) -> None:
    first = TestClient(create_app(load_settings(home=home), index=index))
    session = first.post("/v1/sessions", json={"case": SAMPLE}).json()["id"]
    first.post(f"/v1/sessions/{session}/messages", json={"content": "这份报告的总分算得对吗？"})
    restarted = TestClient(create_app(load_settings(home=home), index=index))  # a new app over the same data directory
    history = restarted.get(f"/v1/sessions/{session}").json()
    assert history["case"]["project"]["name"] == SAMPLE["project"]["name"]
    assert [m["role"] for m in history["messages"]] == ["user", "assistant"]


def test_auth_required_beyond_loopback(secured: TestClient, keys: dict[str, str]) -> None:
    assert secured.get("/health").status_code == 200  # health stays open
    missing = secured.post("/v1/score", json={"case": SAMPLE})
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthorized"
    wrong = secured.post("/v1/score", json={"case": SAMPLE}, headers={"x-api-key": "jx_wrong"})
    assert wrong.status_code == 403
    ok = secured.post("/v1/score", json={"case": SAMPLE}, headers={"authorization": f"Bearer {keys['a']}"})
    assert ok.status_code == 200
    for method, path in (("get", "/v1/documents"), ("post", "/v1/sessions"), ("get", "/v1/sessions"), ("post", "/v1/precedents/search")):
        assert getattr(secured, method)(path, **({"json": {"query": "x"}} if method == "post" else {})).status_code == 401, path


def test_one_key_cannot_touch_another_keys_session_or_documents(secured: TestClient, keys: dict[str, str]) -> None:
    a, b = {"x-api-key": keys["a"]}, {"x-api-key": keys["b"]}
    session = secured.post("/v1/sessions", json={"case": SAMPLE}, headers=a).json()["id"]
    assert secured.get(f"/v1/sessions/{session}", headers=a).status_code == 200
    assert secured.get(f"/v1/sessions/{session}", headers=b).status_code == 404
    assert secured.post(f"/v1/sessions/{session}/messages", json={"content": "预算执行率是多少"}, headers=b).status_code == 404
    assert secured.put(f"/v1/sessions/{session}/case", json={"case": SAMPLE}, headers=b).status_code == 404
    assert session not in {s["id"] for s in secured.get("/v1/sessions", headers=b).json()}
    upload = secured.post("/v1/documents", files={"file": ("a_only.md", "# 报告\n\n## 六、存在的问题\n\n甲部门资料。\n".encode(), "text/markdown")}, headers=a)
    assert upload.status_code == 201
    assert "a_only" not in {d["doc_id"] for d in secured.get("/v1/documents", headers=b).json()}
    assert secured.delete("/v1/documents/a_only", headers=b).status_code == 404
    assert secured.post("/v1/documents", files={"file": ("a_only.md", b"# x\n\ny\n", "text/markdown")}, headers=b).status_code == 409
    assert secured.delete("/v1/documents/a_only", headers=a).status_code == 200


def test_revoked_key_is_refused(home: Path, secured: TestClient) -> None:
    store = KeyStore(Database(home / "jixiao.sqlite3"))
    token = store.create("临时")
    assert secured.get("/v1/sessions", headers={"x-api-key": token}).status_code == 200
    assert store.revoke("临时")
    assert secured.get("/v1/sessions", headers={"x-api-key": token}).status_code == 403


def test_oversized_body_is_413(client: TestClient) -> None:
    response = client.post("/v1/score", content=b"{" + b" " * (2 * 1024 * 1024) + b"}", headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_openapi_lists_every_route(client: TestClient) -> None:
    paths = set(client.get("/openapi.json").json()["paths"])
    assert {"/v1/score", "/v1/precedents/search", "/v1/drafts", "/v1/drafts/export", "/v1/documents", "/v1/documents/{doc_id}", "/v1/sessions", "/v1/sessions/{session_id}", "/v1/sessions/{session_id}/messages"} <= paths


def test_check_returns_the_reviewers_annotated_copy(tmp_path: Path) -> None:
    """POST /v1/check?annotate=docx: the report with a Word comment per finding, for an upload and for JSON text."""
    import io

    import docx

    from conftest import seed_path

    client = TestClient(create_app(load_settings(home=tmp_path)))
    text = seed_path("001").read_text(encoding="utf-8")
    findings = client.post("/v1/check", files={"file": ("评价报告.txt", text.encode(), "text/plain")}).json()["findings"]
    assert any("1468.25" in str(f["recomputed"]) for f in findings)  # 1961 − 492.75, the report says 1466.61
    for response in (
        client.post("/v1/check?annotate=docx", files={"file": ("评价报告.txt", text.encode(), "text/plain")}),
        client.post("/v1/check?annotate=docx", json={"text": text, "name": "评价报告.txt"}),
    ):
        assert response.status_code == 200 and response.headers["content-type"].endswith("wordprocessingml.document")
        assert "%E5%AE%A1%E6%A0%B8%E7%A8%BF.docx" in response.headers["content-disposition"]  # 评价报告_审核稿.docx
        document = docx.Document(io.BytesIO(response.content))
        comments = " ".join(comment.text for comment in document.comments)
        assert len(document.comments) > len(findings) and "1468.25" in comments
    assert client.post("/v1/check?annotate=docx", json={"text": "  "}).status_code == 422
