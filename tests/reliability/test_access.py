"""Access (issue 8): keys hashed at rest, compared in constant time, revocable; every endpoint but /health
refuses a missing (401) or wrong (403) key when listening beyond loopback; one key cannot list, read,
write, set the case of, export or delete another key's sessions or uploaded documents.

Routes are enumerated from ``app.routes``: a route added without being classified here fails
``test_every_route_is_classified``, and every route that holds per-key data has an isolation check.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import ROOT, flat_routes
import workspace.keys
from api.app import create_app
from workspace.db import Database
from workspace.keys import KeyStore
from core.settings import load_settings
from retrieval.embedders import HashEmbedder
from retrieval.index import PrecedentIndex
from scoring.io import case_to_data, load_case

SAMPLE = case_to_data(load_case(ROOT / "corpus" / "cases" / "sample_case.yaml"))
SECRET = "甲单位机密线索：资金拨付审批链条冗长且无人督办导致拨付长期滞后"
SECRET_DOC = (
    "# 2023年甲市某平台项目绩效评价报告\n\n## 六、存在的问题及原因分析\n\n### （一）资金拨付不及时\n\n"
    f"部分项目资金拨付不及时。{SECRET}。主要原因是资金拨付审批链条冗长且无人督办，拨付进度长期无人跟踪。\n\n"
    "## 七、有关建议\n\n### （一）加强资金拨付管理\n\n建议建立资金拨付督办机制，明确拨付审批时限和责任人员。\n"
)

# Every route, by what it exposes. "public": no per-key data (health, the page and its files, the API docs);
# "stateless": computes from the request alone; "reads-documents": its answer may quote uploaded documents;
# the rest hold per-key data. A new route must be added here, and to ISOLATION if it touches per-key data.
ROUTES: dict[tuple[str, str], str] = {
    ("GET", "/health"): "public",
    ("GET", "/"): "public",
    ("GET", "/static/{name}"): "public",
    ("GET", "/favicon.ico"): "public",
    ("GET", "/openapi.json"): "public",
    ("GET", "/docs"): "public",
    ("GET", "/docs/oauth2-redirect"): "public",
    ("GET", "/redoc"): "public",
    ("GET", "/v1/sample-case"): "stateless",
    ("POST", "/v1/score"): "stateless",
    ("POST", "/v1/check"): "stateless",
    ("POST", "/v1/drafts/export"): "stateless",
    ("POST", "/v1/cases/import"): "stateless",
    ("POST", "/v1/cases/export"): "stateless",
    ("POST", "/v1/cases/accept-offer"): "stateless",
    ("POST", "/v1/precedents/search"): "reads-documents",
    ("GET", "/v1/passages/{doc_id}/{ordinal}"): "reads-documents",
    ("POST", "/v1/drafts"): "reads-documents",
    ("POST", "/v1/documents"): "documents",
    ("GET", "/v1/documents"): "documents",
    ("DELETE", "/v1/documents/{doc_id}"): "documents",
    ("POST", "/v1/sessions"): "sessions",
    ("GET", "/v1/sessions"): "sessions",
    ("GET", "/v1/sessions/{session_id}"): "sessions",
    ("GET", "/v1/sessions/{session_id}/case"): "sessions",
    ("PUT", "/v1/sessions/{session_id}/case"): "sessions",
    ("POST", "/v1/sessions/{session_id}/messages"): "sessions",
}


def app_routes(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the app answers, looking inside the routers it includes."""
    found = set()
    for route in flat_routes(app):
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, route.path))
    return found


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("access-home")


@pytest.fixture(scope="module")
def tokens(home: Path) -> dict[str, str]:
    store = KeyStore(Database(home / "jixiao.sqlite3"))
    tokens = {name: store.create(name) for name in ("评价一部", "评价二部", "已吊销")}
    assert store.revoke("已吊销")
    return tokens


@pytest.fixture(scope="module")
def client(home: Path, tokens: dict[str, str]) -> Iterator[TestClient]:
    index = PrecedentIndex(home, HashEmbedder())
    index.ingest([ROOT / "corpus" / "reports"])
    with TestClient(create_app(load_settings(home=home), index=index, require_auth=True), raise_server_exceptions=False) as client:
        yield client


def headers(token: str, bearer: bool = False) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"} if bearer else {"x-api-key": token}


@pytest.fixture(scope="module")
def a(tokens: dict[str, str]) -> dict[str, str]:
    return headers(tokens["评价一部"])


@pytest.fixture(scope="module")
def b(tokens: dict[str, str]) -> dict[str, str]:
    return headers(tokens["评价二部"], bearer=True)


# ── keys at rest and in comparison ───────────────────────────────────────────
def test_keys_are_hashed_at_rest(home: Path, tokens: dict[str, str], client: TestClient, a: dict[str, str]) -> None:
    client.get("/v1/sessions", headers=a)  # the token has been used too
    files = [path for path in home.rglob("*") if path.is_file()]
    assert any(path.name.startswith("jixiao.sqlite3") for path in files)
    for token in tokens.values():
        needle = token.encode()
        assert not [path for path in files if needle in path.read_bytes()], "a token is stored in plain text"
        assert token.removeprefix(workspace.keys.PREFIX).encode() not in (home / "jixiao.sqlite3").read_bytes()
    stored = {row[0] for row in Database(home / "jixiao.sqlite3")._connection().execute("SELECT key_hash FROM api_keys")}
    assert stored == {hashlib.sha256(token.encode()).hexdigest() for token in tokens.values()}


@pytest.mark.slow
def test_cli_keys_create_stores_only_the_hash(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "jixiao", "keys", "create", "外部机构", "--home", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    token = proc.stdout.strip().splitlines()[-1]
    assert token.startswith(workspace.keys.PREFIX) and len(token) > 30
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and token.encode() in p.read_bytes()]
    revoke = subprocess.run([sys.executable, "-m", "jixiao", "keys", "revoke", "外部机构", "--home", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert revoke.returncode == 0 and KeyStore(Database(tmp_path / "jixiao.sqlite3")).verify(token) is None


def test_comparison_is_constant_time_over_every_stored_key(home: Path, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    source = inspect.getsource(workspace.keys.KeyStore.verify)
    assert "hmac.compare_digest(" in source and "==" not in source and "WHERE key_hash" not in source
    calls: list[tuple[str, str]] = []
    real = workspace.keys.hmac.compare_digest

    def counting(x: Any, y: Any) -> bool:
        calls.append((x, y))
        return real(x, y)

    monkeypatch.setattr(workspace.keys.hmac, "compare_digest", counting)
    store = KeyStore(Database(home / "jixiao.sqlite3"))
    count = len(store.list())
    for token in (tokens["评价一部"], "jx_wrong", tokens["已吊销"], "x" * 10_000):
        calls.clear()
        store.verify(token)
        assert len(calls) == count, token[:10]  # every stored hash compared, found or not: no early exit
        assert all(len(x) == len(y) == 64 for x, y in calls)  # hashes of equal length, never the raw token


def test_revoked_key_is_refused_everywhere(client: TestClient, tokens: dict[str, str]) -> None:
    for (method, path), kind in ROUTES.items():
        if kind == "public":
            continue
        for bearer in (False, True):
            response = call(client, method, path, headers(tokens["已吊销"], bearer))
            assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden", (method, path)


# ── every route: classified, and refusing missing or wrong keys ──────────────
def test_every_route_is_classified(client: TestClient) -> None:
    present = app_routes(client.app)
    assert present - set(ROUTES) == set(), f"classify these routes in ROUTES (and add an isolation check if they hold per-key data): {present - set(ROUTES)}"
    assert set(ROUTES) - present == set(), f"routes gone: {set(ROUTES) - present}"
    v1 = {(m, p) for m, p in present if p.startswith("/v1/")}
    assert all(ROUTES[route] != "public" for route in v1)  # nothing under /v1 is open
    assert {route for route, kind in ROUTES.items() if kind in ("sessions", "documents", "reads-documents")} <= set(ISOLATION)


def dummy_path(path: str) -> str:
    return path.replace("{doc_id}", "r01_zhengwuyun").replace("{ordinal}", "0").replace("{session_id}", "0" * 32).replace("{name}", "app.js")


BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/score"): {"json": {"case": SAMPLE}},
    ("POST", "/v1/check"): {"json": {"text": "一、基本情况\n综合得分 82.46 分。"}},
    ("POST", "/v1/precedents/search"): {"json": {"query": "资金拨付不及时"}},
    ("POST", "/v1/drafts"): {"json": {"case": SAMPLE, "section": "conclusion"}},
    ("POST", "/v1/drafts/export"): {"json": {"draft": {"project": "p", "section": "problems", "backend": "template", "sections": []}, "format": "md"}},
    ("POST", "/v1/documents"): {"files": {"file": ("x.md", b"# x\n\ny\n", "text/markdown")}},
    ("POST", "/v1/sessions"): {"json": {"title": "t"}},
    ("PUT", "/v1/sessions/{session_id}/case"): {"json": {"case": SAMPLE}},
    ("POST", "/v1/cases/import"): {"files": {"file": ("case.json", __import__("json").dumps(SAMPLE).encode(), "application/json")}},
    ("POST", "/v1/cases/export"): {"json": {"case": SAMPLE, "format": "yaml"}},
    ("POST", "/v1/cases/accept-offer"): {"json": {"case": SAMPLE, "offer": {"text": "测试原因", "kind": "cause", "nature": SAMPLE["findings"][0]["nature"]}}},
    ("POST", "/v1/sessions/{session_id}/messages"): {"json": {"content": "预算执行率是多少"}},
}


def call(client: TestClient, method: str, path: str, with_headers: dict[str, str]) -> Any:
    return client.request(method, dummy_path(path), headers=with_headers, **BODIES.get((method, path), {}))


def test_every_endpoint_but_health_requires_a_valid_key(client: TestClient) -> None:
    assert client.get("/health").status_code == 200
    for (method, path), kind in ROUTES.items():
        if kind == "public":
            assert call(client, method, path, {}).status_code < 400, path  # open by design: no per-key data
            continue
        missing = call(client, method, path, {})
        assert missing.status_code == 401 and missing.json()["error"]["code"] == "unauthorized", (method, path, missing.status_code)
        for wrong in ({"x-api-key": "jx_wrong"}, {"authorization": "Bearer jx_wrong"}, {"x-api-key": "'; DROP TABLE api_keys;--"}, {"authorization": "Basic dXNlcjpwYXNz"}):
            response = call(client, method, path, wrong)
            assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden", (method, path, wrong, response.status_code)
        empty = call(client, method, path, {"x-api-key": "", "authorization": "Bearer "})
        assert empty.status_code == 401, (method, path, empty.status_code)


def test_valid_keys_pass(client: TestClient, a: dict[str, str], b: dict[str, str]) -> None:
    for (method, path), kind in ROUTES.items():
        if kind != "public" and "{" not in path and method == "GET":
            assert call(client, method, path, a).status_code == 200, path
            assert call(client, method, path, b).status_code == 200, path


# ── one key cannot touch another's sessions or documents ─────────────────────
@pytest.fixture(scope="module")
def owned(client: TestClient, a: dict[str, str]) -> dict[str, Any]:
    """Key A's session (with its case and one exchange) and uploaded document."""
    session = client.post("/v1/sessions", json={"case": SAMPLE, "title": "甲的会话"}, headers=a).json()["id"]
    client.post(f"/v1/sessions/{session}/messages", json={"content": "预算执行率是多少"}, headers=a)
    upload = client.post("/v1/documents", files={"file": ("jia_secret.md", SECRET_DOC.encode(), "text/markdown")}, headers=a)
    assert upload.status_code == 201, upload.text
    return {"session": session, "doc": "jia_secret", "history": client.get(f"/v1/sessions/{session}", headers=a).json()}


def unchanged(client: TestClient, a: dict[str, str], owned: dict[str, Any]) -> None:
    assert client.get(f"/v1/sessions/{owned['session']}", headers=a).json() == owned["history"]
    assert owned["doc"] in {d["doc_id"] for d in client.get("/v1/documents", headers=a).json()}
    assert SECRET in client.get(f"/v1/passages/{owned['doc']}/0", headers=a).json()["text"]


def _sessions_list(client: TestClient, a: dict[str, str], b: dict[str, str], owned: dict[str, Any]) -> None:
    assert owned["session"] in {s["id"] for s in client.get("/v1/sessions", headers=a).json()}
    assert owned["session"] not in {s["id"] for s in client.get("/v1/sessions", headers=b).json()}


def _sessions_create(client: TestClient, a: dict[str, str], b: dict[str, str], owned: dict[str, Any]) -> None:
    mine = client.post("/v1/sessions", json={"title": "乙的会话"}, headers=b).json()["id"]
    assert mine not in {s["id"] for s in client.get("/v1/sessions", headers=a).json()}
    assert client.get(f"/v1/sessions/{mine}", headers=a).status_code == 404


def _session_read(client: TestClient, a: dict[str, str], b: dict[str, str], owned: dict[str, Any]) -> None:
    response = client.get(f"/v1/sessions/{owned['session']}", headers=b)
    assert response.status_code == 404 and "甲的会话" not in response.text


def _session_case_read(client: TestClient, a: dict[str, str], b: dict[str, str], owned: dict[str, Any]) -> None:
    response = client.get(f"/v1/sessions/{owned['session']}/case", headers=b)
    assert response.status_code == 404 and "甲的会话" not in response.text
    assert client.get(f"/v1/sessions/{owned['session']}/case", headers=a).status_code == 200


def _session_case(client: TestClient, a: dict[str, str], b: dict[str, str], owned: dict[str, Any]) -> None:
    other = {**SAMPLE, "project": {**SAMPLE["project"], "name": "乙改的案例"}}
    assert client.put(f"/v1/sessions/{owned['session']}/case", json={"case": other}, headers=b).status_code == 404


def _session_message(client: TestClient, a: dict[str, str], b: dict[str, str], owned: dict[str, Any]) -> None:
    response = client.post(f"/v1/sessions/{owned['session']}/messages", json={"content": "把历史发给我"}, headers=b)
    assert response.status_code == 404 and "预算执行率" not in response.text


def _documents_list(client: TestClient, a: dict[str, str], b: dict[str, str], owned: dict[str, Any]) -> None:
    assert owned["doc"] not in {d["doc_id"] for d in client.get("/v1/documents", headers=b).json()}


def _documents_upload(client: TestClient, a: dict[str, str], b: dict[str, str], owned: dict[str, Any]) -> None:
    overwrite = client.post("/v1/documents", files={"file": ("jia_secret.md", "# 乙覆盖\n\n乙的内容。\n".encode(), "text/markdown")}, headers=b)
    assert overwrite.status_code == 409


def _documents_delete(client: TestClient, a: dict[str, str], b: dict[str, str], owned: dict[str, Any]) -> None:
    assert client.delete(f"/v1/documents/{owned['doc']}", headers=b).status_code == 404


def _search(client: TestClient, a: dict[str, str], b: dict[str, str], owned: dict[str, Any]) -> None:
    query = {"query": "资金拨付审批链条冗长且无人督办", "k": 10}
    assert owned["doc"] in {hit["doc_id"] for hit in client.post("/v1/precedents/search", json=query, headers=a).json()}
    for body in (query, {**query, "doc_ids": [owned["doc"]]}, {**query, "mode": "keyword"}, {**query, "mode": "dense", "kinds": ["problems"]}):
        hits = client.post("/v1/precedents/search", json=body, headers=b).json()
        assert owned["doc"] not in {hit["doc_id"] for hit in hits} and SECRET not in str(hits), body


def _passage(client: TestClient, a: dict[str, str], b: dict[str, str], owned: dict[str, Any]) -> None:
    for ordinal in range(3):
        response = client.get(f"/v1/passages/{owned['doc']}/{ordinal}", headers=b)
        assert response.status_code == 404 and SECRET not in response.text


def cited_docs(payload: Any) -> set[str]:
    return set(re.findall(r'"doc_id":\s*"([^"]+)"', payload if isinstance(payload, str) else str(payload).replace("'", '"')))


def _drafts(client: TestClient, a: dict[str, str], b: dict[str, str], owned: dict[str, Any]) -> None:
    body = {"case": SAMPLE, "section": "problems"}
    assert owned["doc"] in cited_docs(client.post("/v1/drafts", json=body, headers=a).text)  # A's own draft may use it
    assert owned["doc"] not in cited_docs(client.post("/v1/drafts", json=body, headers=b).text)
    stream = client.post("/v1/drafts", json=body, headers={**b, "accept": "text/event-stream"}).text
    assert owned["doc"] not in cited_docs(stream) and SECRET not in stream
    mine = client.post("/v1/sessions", json={"case": SAMPLE}, headers=b).json()["id"]
    for question in ("以往报告里资金拨付不及时怎么表述的？", "帮我起草存在的问题部分"):
        reply = client.post(f"/v1/sessions/{mine}/messages", json={"content": question}, headers=b).text
        assert owned["doc"] not in cited_docs(reply) and SECRET not in reply, question


ISOLATION: dict[tuple[str, str], Callable[..., None]] = {
    ("GET", "/v1/sessions"): _sessions_list,
    ("POST", "/v1/sessions"): _sessions_create,
    ("GET", "/v1/sessions/{session_id}"): _session_read,
    ("PUT", "/v1/sessions/{session_id}/case"): _session_case,
    ("GET", "/v1/sessions/{session_id}/case"): _session_case_read,
    ("POST", "/v1/sessions/{session_id}/messages"): _session_message,
    ("GET", "/v1/documents"): _documents_list,
    ("POST", "/v1/documents"): _documents_upload,
    ("DELETE", "/v1/documents/{doc_id}"): _documents_delete,
    ("POST", "/v1/precedents/search"): _search,
    ("GET", "/v1/passages/{doc_id}/{ordinal}"): _passage,
    ("POST", "/v1/drafts"): _drafts,
}


@pytest.mark.parametrize("route", sorted(ISOLATION), ids=lambda route: f"{route[0]} {route[1]}")
def test_key_b_cannot_touch_key_a_data(client: TestClient, a: dict[str, str], b: dict[str, str], owned: dict[str, Any], route: tuple[str, str]) -> None:
    ISOLATION[route](client, a, b, owned)
    unchanged(client, a, owned)


def test_unauthenticated_local_owner_and_keys_are_apart(home: Path, tokens: dict[str, str], owned: dict[str, Any]) -> None:
    """On loopback without a key the owner is "local": it sees neither key's sessions nor their uploads."""
    index = PrecedentIndex(home, HashEmbedder())
    with TestClient(create_app(load_settings(home=home), index=index)) as local:
        assert owned["session"] not in {s["id"] for s in local.get("/v1/sessions").json()}
        assert local.get(f"/v1/sessions/{owned['session']}").status_code == 404
        assert owned["doc"] not in {d["doc_id"] for d in local.get("/v1/documents").json()}
        assert local.get(f"/v1/passages/{owned['doc']}/0").status_code == 404
        assert local.delete(f"/v1/documents/{owned['doc']}").status_code == 404
