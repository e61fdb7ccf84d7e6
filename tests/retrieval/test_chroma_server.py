"""Client/server mode: the same index code against a real ``chroma run`` on 127.0.0.1."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import ROOT, chroma_executable, free_port
from retrieval.embedders import HashEmbedder
from retrieval.index import PrecedentIndex
from retrieval.search import SearchFilters
from retrieval.store import StoreError

pytestmark = pytest.mark.slow


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = open(tmp_path / "chroma.log", "w")
    server = subprocess.Popen([chroma_executable(), "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chroma run did not start: {(tmp_path / 'chroma.log').read_text()}")
            time.sleep(0.3)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_ingest_and_search_through_a_chroma_server(tmp_path: Path, chroma_url: str) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("r01_zhengwuyun.md", "r06_xueliang.md"):
        shutil.copy(ROOT / "corpus" / "reports" / name, docs / name)
    home = tmp_path / "home"
    index = PrecedentIndex(home, HashEmbedder(), chroma_url=chroma_url)
    report = index.ingest([docs])
    assert sorted(report.added) == ["r01_zhengwuyun", "r06_xueliang"]
    assert not (home / "chroma").exists()  # nothing embedded locally: the server holds the index

    # A second client (another machine, say) sees the same documents.
    other = PrecedentIndex(tmp_path / "other-home", HashEmbedder(), chroma_url=chroma_url)
    assert set(other.catalog()) == {"r01_zhengwuyun", "r06_xueliang"}
    hits = other.search("视频监控 在线率", k=3, filters=SearchFilters(kinds=["problems"]))
    assert hits and hits[0].doc_id == "r06_xueliang"
    assert hits[0].citation.display.startswith("《")


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreError, match="无法连接 Chroma 服务"):
        PrecedentIndex(tmp_path / "home", HashEmbedder(), chroma_url=url)
