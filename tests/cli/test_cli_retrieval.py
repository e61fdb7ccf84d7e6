"""The retrieval commands as a user runs them (real processes, real files, the default embedder)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def jixiao(*args: str, home: Path, embedder: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JIXIAO_HOME": str(home)}
    if embedder:
        env["JIXIAO_EMBEDDER"] = embedder
    return subprocess.run([sys.executable, "-m", "jixiao", *args], capture_output=True, text=True, env=env, timeout=600)


@pytest.mark.slow
def test_demo_first_run_ingests_bundled_corpus_then_searches(tmp_path: Path) -> None:
    proc = jixiao("demo", home=tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    assert "首次运行" in proc.stdout and "新增 15" in proc.stdout
    assert "总分" in proc.stdout and "《" in proc.stdout and "段" in proc.stdout
    again = jixiao("demo", home=tmp_path / "home")
    assert again.returncode == 0 and "首次运行" not in again.stdout


def test_ingest_search_sources_remove(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(ROOT / "corpus" / "reports" / "r06_xueliang.md", docs)
    (docs / "bad.pdf").write_bytes(b"%PDF-1.4 broken")
    home = tmp_path / "home"
    ingest = jixiao("ingest", str(docs), home=home, embedder="hash")
    assert ingest.returncode == 0, ingest.stderr
    assert "新增 1" in ingest.stdout and "失败 1" in ingest.stdout
    assert "bad.pdf" in ingest.stderr and "Traceback" not in ingest.stderr

    hits = json.loads(jixiao("search", "摄像头在线率", "--kind", "problems", "--json", home=home, embedder="hash").stdout)
    assert hits and hits[0]["doc_id"] == "r06_xueliang" and hits[0]["citation"]["section_path"]
    sources = json.loads(jixiao("sources", "--json", home=home, embedder="hash").stdout)
    assert [s["doc_id"] for s in sources] == ["r06_xueliang"]
    assert jixiao("remove", "r06_xueliang", home=home, embedder="hash").returncode == 0
    assert json.loads(jixiao("sources", "--json", home=home, embedder="hash").stdout) == []


def test_search_errors_are_clear(tmp_path: Path) -> None:
    empty = jixiao("search", "验收", home=tmp_path / "empty", embedder="hash")
    assert empty.returncode == 1 and "先例库为空" in empty.stderr
    bad_kind = jixiao("search", "验收", "--kind", "problem", home=tmp_path / "empty", embedder="hash")
    assert bad_kind.returncode == 2 and "problems" in bad_kind.stderr
    missing = jixiao("ingest", str(tmp_path / "nope"), home=tmp_path / "h", embedder="hash")
    assert missing.returncode == 1 and "不存在" in missing.stderr
    unknown = jixiao("sources", home=tmp_path / "h2", embedder="bert")
    assert unknown.returncode == 2 and "未知的向量模型" in unknown.stderr
