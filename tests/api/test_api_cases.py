"""Cases in and out over HTTP: working papers, YAML, a report; export as .xlsx / YAML; a session's case."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from conftest import ROOT, seed_path
from core.settings import load_settings
from retrieval.embedders import HashEmbedder
from retrieval.index import PrecedentIndex
from seed_workbook import build_seed_004_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    home = tmp_path_factory.mktemp("api-cases")
    return TestClient(create_app(load_settings(home=home), index=PrecedentIndex(home, HashEmbedder()), max_upload_mb=2))


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return build_seed_004_workbook(seed_path("004"), tmp_path_factory.mktemp("wb") / "底稿.xlsx").read_bytes()


def test_import_workbook_export_and_reimport(client: TestClient, workbook: bytes) -> None:
    answer = client.post("/v1/cases/import", files=[("file", ("底稿.xlsx", workbook, XLSX))])
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert data["result"]["total"] == 82.46 and len(data["case"]["findings"]) == 37 and data["rules_read"] >= 10
    assert len(data["inferences"]) == 27 and data["unplaced"] and any("3.5" in c for c in data["checks"])
    exported = client.post("/v1/cases/export", json={"case": data["case"], "format": "xlsx"})
    assert exported.status_code == 200 and exported.headers["content-type"] == XLSX
    assert "attachment" in exported.headers["content-disposition"]
    again = client.post("/v1/cases/import", files=[("file", ("导出.xlsx", exported.content, XLSX))]).json()
    assert again["case"]["findings"] == data["case"]["findings"] and again["case"]["indicators"] == data["case"]["indicators"]
    yaml_text = client.post("/v1/cases/export", json={"case": data["case"], "format": "yaml"})
    assert yaml_text.status_code == 200 and "制度执行有效性" in yaml_text.text
    from_yaml = client.post("/v1/cases/import", files=[("file", ("case.yaml", yaml_text.content, "application/yaml"))]).json()
    assert from_yaml["result"]["total"] == 82.46


def test_import_a_report_through_the_checker(client: TestClient) -> None:
    report = seed_path("004")
    answer = client.post("/v1/cases/import", files=[("file", ("004.txt", report.read_bytes(), "text/plain"))])
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"]["total"] == 82.46


def test_bad_uploads_are_refused_with_their_place(client: TestClient) -> None:
    bad = client.post("/v1/cases/import", files=[("file", ("x.xlsx", b"not a zip", XLSX))])
    assert bad.status_code == 422 and "不是可读取的 .xlsx 文件" in bad.json()["error"]["message"]
    kind = client.post("/v1/cases/import", files=[("file", ("x.exe", b"MZ", "application/octet-stream"))])
    assert kind.status_code == 415
    broken = client.post("/v1/cases/import", files=[("file", ("case.yaml", b"project: [", "application/yaml"))])
    assert broken.status_code == 422 and "case.yaml" in broken.json()["error"]["message"]
    fmt = client.post("/v1/cases/export", json={"case": {"project": {"name": "x"}}, "format": "pdf"})
    assert fmt.status_code == 422


def test_session_case_is_read_back(client: TestClient) -> None:
    sample = client.get("/v1/sample-case").json()
    session = client.post("/v1/sessions", json={"case": sample}).json()["id"]
    assert client.get(f"/v1/sessions/{session}/case").json()["case"]["project"] == sample["project"]
    assert client.get("/v1/sessions/nope/case").status_code == 404
