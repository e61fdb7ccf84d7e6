"""Hostile HTTP input (issue 8, "Bad input"): oversized and chunked bodies, wrong content types, traversal and
unicode tricks in ids and file names, SQL metacharacters in every string field, very long and deeply nested input.

Never a 500, always a JSON error, never a file outside the data directory, and the
sessions are all still there afterwards.
"""

from __future__ import annotations

import copy
import json
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from conftest import ROOT, flat_routes
from api.app import create_app
from core.settings import load_settings
from retrieval.embedders import HashEmbedder
from retrieval.index import PrecedentIndex
from scoring.io import case_to_data, load_case

SAMPLE = case_to_data(load_case(ROOT / "corpus" / "cases" / "sample_case.yaml"))
MAX_MB = 1
SQL = ["'; DROP TABLE sessions;--", '" OR 1=1 --', "') OR ('1'='1", "1; DELETE FROM messages", "%' AND 1=0 UNION SELECT key_hash FROM api_keys --", "\\'; --", "*/ DROP TABLE api_keys; /*"]
TRAVERSAL = ["../x", "../../etc/passwd", "..%2F..%2Fetc%2Fpasswd", "..\\..\\windows\\win.ini", "/etc/passwd", "C:\\boot.ini", "%2e%2e%2f", "....//", "x\x00y", "x%00y", "a" * 5000, "a;b", "a'b", 'a"b', "\u202etxt.exe", "\u200b", "ｒ０１", "r01_zhengwuyun\n", "r01_zhengwuyun/../r02_dengbao", "."]
TEXTS = st.one_of(
    st.sampled_from(SQL + TRAVERSAL),
    st.lists(st.sampled_from(SQL + TRAVERSAL + ["甲", "/", "\\", "\x00", "\n", "\u202e", "\u200d", "%", "..", "'", '"', ";"]), min_size=1, max_size=6).map("".join),
    st.text(min_size=1, max_size=40),
)
SAFE_ID = re.compile(r"[\w\-.\u4e00-\u9fff（）()]{1,128}")


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("abuse")


@pytest.fixture(scope="module")
def home(root: Path) -> Path:
    return root / "home"


@pytest.fixture(scope="module")
def client(home: Path) -> Iterator[TestClient]:
    index = PrecedentIndex(home, HashEmbedder())
    index.ingest([ROOT / "corpus" / "reports", ROOT / "corpus" / "policies"])
    app = create_app(load_settings(home=home), index=index, max_upload_mb=MAX_MB)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def anchor(client: TestClient) -> str:
    """A session created before the attacks, with two messages: it must survive all of them."""
    session = client.post("/v1/sessions", json={"case": SAMPLE, "title": "基准会话"}).json()["id"]
    client.post(f"/v1/sessions/{session}/messages", json={"content": "预算执行率是多少"})
    return session


def sane(response: Any) -> Any:
    """No 5xx; every error is our JSON error shape."""
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        error = response.json()["error"]
        assert error["code"] and error["message"], response.text
    return response


def body_routes(client: TestClient) -> list[tuple[str, str]]:
    """(method, path with dummy ids) of every route that takes a request body: a new one is covered by itself."""
    routes = []
    for route in flat_routes(client.app):
        if isinstance(route, APIRoute):
            for method in sorted(route.methods & {"POST", "PUT", "PATCH"}):
                routes.append((method, re.sub(r"\{[^}]+\}", "x", route.path)))
    assert ("POST", "/v1/score") in routes and ("PUT", "/v1/sessions/x/case") in routes
    return routes


# ── bodies ──────────────────────────────────────────────────────────────────
def test_oversized_bodies_are_413_on_every_body_route(client: TestClient) -> None:
    big = b"{" + b" " * (MAX_MB * 1024 * 1024 + 10) + b"}"

    def chunked() -> Iterator[bytes]:  # no Content-Length: the size is only known by reading
        for _ in range(3 * MAX_MB):
            yield b" " * (1024 * 1024)
        yield b"{}"

    for method, path in body_routes(client):
        declared = client.request(method, path, content=big, headers={"content-type": "application/json"})
        assert declared.status_code == 413 and declared.json()["error"]["code"] == "too_large", (path, declared.text[:200])
        multipart = client.request(method, path, files={"file": ("big.txt", big, "text/plain")})
        assert multipart.status_code == 413, (path, multipart.status_code)
        streamed = client.request(method, path, content=chunked(), headers={"content-type": "application/json"})
        assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "too_large", (path, streamed.text[:200])
    small = client.post("/v1/score", content=iter([json.dumps({"case": SAMPLE}).encode()]), headers={"content-type": "application/json"})
    assert small.status_code == 200  # a chunked body under the limit still goes through


def test_wrong_content_types_are_json_errors(client: TestClient) -> None:
    payload = json.dumps({"case": SAMPLE, "query": "资金", "content": "你好", "text": "报告"}).encode()
    for method, path in body_routes(client):
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "application/xml", "application/json; charset=gbk", "multipart/form-data; boundary=nothing", None):
            headers = {"content-type": content_type} if content_type else {}
            response = sane(client.request(method, path, content=payload if content_type != "application/json; charset=gbk" else "{\"case\": \"项目\"}".encode("gbk"), headers=headers))
            if path == "/v1/check" and not (content_type or "").startswith("multipart/"):
                continue  # /v1/check reads any body that is not multipart as JSON {"text": …}: lenient by design
            assert response.status_code in (400, 404, 415, 422), (method, path, content_type, response.status_code)
        form = sane(client.request(method, path, files={"file": ("a.json", payload, "application/json")}))
        assert form.status_code in (201, 404, 409, 415, 422) if path in ("/v1/documents", "/v1/check") else form.status_code in (404, 422), (path, form.status_code)
    as_json = sane(client.post("/v1/documents", json={"file": "x.md"}))
    assert as_json.status_code == 422 and as_json.json()["error"]["field"] == "file"
    for depth in (500, 990, 100_000):  # nesting: our 64-level limit, Python's json recursion limit, far beyond
        started = time.perf_counter()
        nested = sane(client.post("/v1/score", content=b'{"case": {"indicators": ' + b"[" * depth + b"]" * depth + b"}}", headers={"content-type": "application/json"}))
        assert nested.status_code in (400, 422) and time.perf_counter() - started < 5, depth


# ── ids and file names ───────────────────────────────────────────────────────
def files_outside(root: Path, home: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file() and home not in path.parents]


def check_upload(client: TestClient, root: Path, home: Path, name: str) -> None:
    response = sane(client.post("/v1/documents", files={"file": (name, "# 2022年测试项目报告\n\n## 六、存在的问题\n\n巡检记录缺失，运维台账不全。\n".encode(), "text/markdown")}))
    assert response.status_code in (201, 400, 409, 413, 415, 422), (name[:80], response.status_code)  # 400: the multipart parser refuses the header
    if response.status_code == 201:
        doc_id = response.json()["doc_id"]
        assert SAFE_ID.fullmatch(doc_id) and not doc_id.startswith("."), repr(doc_id)
        stored = [p for p in (home / "uploads").rglob("*") if p.is_file() and p.stem == doc_id]
        assert stored and all(p.parent.parent == home / "uploads" for p in stored), stored
        assert sane(client.delete(f"/v1/documents/{quote(doc_id, safe='')}")).status_code == 200
    assert not files_outside(root, home)


UPLOAD_NAMES = [
    "../evil.md", "../../evil.md", "..%2Fevil.md", "..\\..\\evil.md", "/etc/evil.md", "/tmp/evil.md", "C:\\evil.md",
    "evil\x00.md", "evil.md\x00.exe", "a" * 300 + ".md", "a;b.md", "a'b.md", 'a"b.md', "\u202edm.exe.md", "\u200b.md",
    ".hidden.md", "..md", "....md", "r01_zhengwuyun.md", "jixiao.sqlite3.md", "x.md/", "x.exe", "evil\n.md", "ｅｖｉｌ.md",
    "'; DROP TABLE sessions;--.md", "报告（终稿）.md",
]


@pytest.mark.parametrize("name", UPLOAD_NAMES)
def test_upload_names_stay_inside_the_data_directory(client: TestClient, root: Path, home: Path, name: str) -> None:
    check_upload(client, root, home, name)
    for where in (Path("/etc/evil.md"), Path("/tmp/evil.md"), ROOT / "evil.md", ROOT.parent / "evil.md", home / "evil.md"):
        assert not where.exists(), where


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stem=TEXTS, ext=st.sampled_from([".md", ".txt", ".MD", ""]))
def test_random_upload_names(client: TestClient, root: Path, home: Path, stem: str, ext: str) -> None:
    check_upload(client, root, home, stem + ext)


def is_int(raw: str) -> bool:
    try:
        TypeAdapter(int).validate_python(raw)
    except ValidationError:
        return False
    return True


def id_paths(raw: str) -> list[tuple[str, str, dict[str, Any], bool]]:
    """Requests with ``raw`` as every id: percent-encoded whole (strict: must be 404/405/422), and as written
    (the client resolves "../" in it the way a browser does, so it may land on a real resource: only "no 5xx")."""
    requests = []
    as_written = re.sub(r"[\x00-\x20\x7f#?%]", lambda m: quote(m.group()), raw)  # only what a URL cannot carry
    for ident, strict in ((quote(raw, safe=""), True), (as_written, False)):
        requests += [
            ("GET", f"/v1/passages/{ident}/0", {}, strict),
            ("GET", f"/v1/passages/r01_zhengwuyun/{ident}", {}, strict and not is_int(raw)),  # "0", "-0", "٠" are real ordinals
            ("DELETE", f"/v1/documents/{ident}", {}, strict),
            ("GET", f"/v1/sessions/{ident}", {}, strict),
            ("PUT", f"/v1/sessions/{ident}/case", {"json": {"case": SAMPLE}}, strict),
            ("POST", f"/v1/sessions/{ident}/messages", {"json": {"content": "你好"}}, strict),
            ("GET", f"/static/{ident}", {}, strict),
        ]
    return requests


STATIC_FILES = {path.read_bytes() for path in (ROOT / "api" / "static").iterdir() if path.is_file()}


def check_ids(client: TestClient, raw: str) -> None:
    for method, path, kwargs, strict in id_paths(raw):
        response = sane(client.request(method, path, **kwargs))
        if path.startswith("/static/") and response.status_code == 200:
            # the client resolved "%2e%2e" to "..": whatever came back is one of the page's own files
            assert response.content in STATIC_FILES, path
            continue
        sent = response.request.url.raw_path.decode("ascii")
        if strict and sent == path:  # "." and ".." segments (even as %2E) are resolved by the client before sending
            assert response.status_code in (404, 405, 422), (method, path, response.status_code, response.text[:200])


@pytest.mark.parametrize("raw", TRAVERSAL + SQL + ["99999999999999999999999", "-1", "1e9", "0x10", "app.py", "..%2Fapp.py", "%2e%2e/app.py"])
def test_ids_with_traversal_unicode_and_sql(client: TestClient, raw: str) -> None:
    check_ids(client, raw)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=TEXTS)
def test_random_ids(client: TestClient, raw: str) -> None:
    check_ids(client, raw)


# ── SQL metacharacters as data ───────────────────────────────────────────────
def tainted_case(payload: str) -> dict[str, Any]:
    """The sample case with ``payload`` appended to every free-text field and to every indicator name (references follow)."""
    case = copy.deepcopy(SAMPLE)
    renamed: dict[str, str] = {}

    def rename(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            renamed[node["name"]] = node["name"] = node["name"] + payload.replace("/", "／")
            rename(node.get("children", []))

    rename(case["indicators"])
    case["project"] = {key: (value + payload if isinstance(value, str) and key != "evaluation_kind" else value) for key, value in case["project"].items()}
    for finding in case.get("findings", []):
        for key, value in list(finding.items()):
            if key == "indicator" and value:
                finding[key] = "/".join(renamed.get(part, part) for part in value.split("/"))
            elif isinstance(value, str) and key != "amount":
                finding[key] = value + payload
    if "stated" in case:
        for field in ("scores", "weights", "rates"):
            if field in case["stated"]:
                case["stated"][field] = {"/".join(renamed.get(p, p) for p in key.split("/")): value for key, value in case["stated"][field].items()}
    return case


def database_intact(home: Path, anchor: str) -> None:
    with sqlite3.connect(home / "jixiao.sqlite3") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"api_keys", "sessions", "messages", "documents_owner"} <= tables, tables
        assert db.execute("SELECT COUNT(*) FROM messages WHERE session_id = ?", (anchor,)).fetchone()[0] >= 2


def attack_every_string_field(client: TestClient, payload: str) -> list[str]:
    """Send ``payload`` in every string field of every route; return the sessions created."""
    created = []
    case = tainted_case(payload)
    scored = sane(client.post("/v1/score", json={"case": case}))
    if scored.status_code == 200:  # a payload may be invalid as a name ("" after stripping, a lone surrogate): then 422
        assert scored.json()["project"] == case["project"]["name"].strip() or scored.json()["project"] == case["project"]["name"]
    session = sane(client.post("/v1/sessions", json={"case": case if scored.status_code == 200 else SAMPLE, "title": payload[:200]}))
    if session.status_code == 201:
        sid = session.json()["id"]
        created.append(sid)
        assert client.get(f"/v1/sessions/{sid}").json()["title"] == payload[:200]
        sane(client.put(f"/v1/sessions/{sid}/case", json={"case": case}))
        message = sane(client.post(f"/v1/sessions/{sid}/messages", json={"content": payload[:4000]}))
        assert message.status_code == 200
        history = client.get(f"/v1/sessions/{sid}").json()["messages"]
        assert history[-2]["content"] == payload[:4000]  # stored and returned as written
    sane(client.post("/v1/precedents/search", json={"query": payload[:2000], "region": payload[:100], "doc_ids": [payload], "kinds": ["problems"]}))
    sane(client.post("/v1/precedents/search", json={"query": payload[:2000], "kinds": [payload]}))
    sane(client.post("/v1/precedents/search", json={"query": payload[:2000], "doc_kind": payload, "mode": payload}))
    draft = sane(client.post("/v1/drafts", json={"case": case, "section": "problems"}))
    sane(client.post("/v1/drafts", json={"case": SAMPLE, "section": payload, "backend": payload}))
    if draft.status_code == 200:
        exported = draft.json()
        exported["project"] = payload
        for fmt in ("md", "docx"):
            sane(client.post("/v1/drafts/export", json={"draft": exported, "format": fmt}))
    sane(client.post("/v1/check", json={"text": f"{payload}\n一、基本情况\n综合得分 82.46 分。", "name": payload}))
    sane(client.post("/v1/documents", files={"file": (payload + ".md", b"# x\n\ny\n", "text/markdown")}))
    sane(client.get("/v1/documents", params={"owner": payload}))
    sane(client.get("/v1/sessions", headers={"x-forwarded-for": quote(payload), "x-api-key": ""}))
    return created


@pytest.mark.slow
@pytest.mark.parametrize("payload", SQL)
def test_sql_metacharacters_are_data(client: TestClient, home: Path, anchor: str, payload: str) -> None:
    created = attack_every_string_field(client, payload)
    database_intact(home, anchor)
    listed = {s["id"] for s in client.get("/v1/sessions").json()}
    assert anchor in listed and set(created) <= listed


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=TEXTS)
def test_random_strings_in_every_field(client: TestClient, home: Path, anchor: str, payload: str) -> None:
    created = attack_every_string_field(client, payload)
    database_intact(home, anchor)
    listed = {s["id"] for s in client.get("/v1/sessions").json()}
    assert anchor in listed and set(created) <= listed


# ── very long input ──────────────────────────────────────────────────────────
LONG = "资金拨付不及时" * 15_000  # 105,000 characters


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/v1/precedents/search", {"query": LONG}),
    ("POST", "/v1/precedents/search", {"query": "资金", "region": LONG}),
    ("POST", "/v1/precedents/search", {"query": "资金", "doc_ids": [LONG]}),
    ("POST", "/v1/precedents/search", {"query": "资金", "doc_ids": [f"d{i}" for i in range(20_000)]}),
    ("POST", "/v1/sessions", {"title": LONG}),
    ("POST", "/v1/sessions/{anchor}/messages", {"content": LONG}),
    ("POST", "/v1/score", {"case": {**SAMPLE, "project": {"name": LONG}}}),
    ("POST", "/v1/drafts", {"case": {**SAMPLE, "project": {"name": LONG}}, "section": "conclusion"}),
    ("POST", "/v1/check", {"text": LONG, "name": "long.txt"}),
    ("POST", "/v1/check", {"text": "一、基本情况\n", "name": LONG}),
])
def test_very_long_input_is_refused_or_fast(client: TestClient, anchor: str, method: str, path: str, body: dict[str, Any]) -> None:
    started = time.perf_counter()
    response = sane(client.request(method, path.format(anchor=anchor), json=body))
    elapsed = time.perf_counter() - started
    assert response.status_code in (200, 201, 422), (path, response.status_code, response.text[:200])
    assert elapsed < 15, f"{path}: {elapsed:.1f} s"


def test_nothing_written_outside_the_data_directory(client: TestClient, root: Path, home: Path, anchor: str) -> None:
    assert not files_outside(root, home)
    database_intact(home, anchor)
    assert not list(ROOT.glob("evil*")) and not Path("/etc/evil.md").exists()


@pytest.mark.parametrize("odd", ["\x85", "\u2028", "\u2029", "\x80", "\x9f", "\ufffe", "\u200b\u202e", "\t", "\U0001f600"])
def test_unusual_characters_in_json_strings_come_back_unchanged(client: TestClient, odd: str) -> None:
    """JSON strings reach the case parser (a YAML parser) escaped: NEL and U+2028 are not folded into spaces,
    C1 controls and U+FFFE are not refused."""
    name = f"项目{odd}名称"
    case = {**SAMPLE, "project": {**SAMPLE["project"], "name": name}}
    response = sane(client.post("/v1/score", json={"case": case}))
    assert response.status_code == 200 and response.json()["project"] == name
    session = client.post("/v1/sessions", json={"case": case, "title": name}).json()["id"]
    stored = client.get(f"/v1/sessions/{session}").json()
    assert stored["title"] == name and stored["case"]["project"]["name"] == name
