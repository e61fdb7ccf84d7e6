"""Chroma server mode with the server stopped mid-session: a clear error, retries with backoff, local state intact.

A real ``chroma run`` on 127.0.0.1 is terminated while an index (the same
object a long-running API server holds) is in use, once between calls and once
in the middle of an ingest. Each call that needs the server is retried after
0.2, 0.5 and 1 s, then fails with a :class:`StoreError` that names the URL and
says what to do; the API answers 503 with that message, the CLI one line.
After a restart of the server the same index object searches again with the
same results, and the local vector cache and keyword index are intact. A
server that comes back within the backoff window is picked up by the call that
was waiting for it.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from conftest import ROOT
from reliability.fault_helpers import chroma_executable, free_port, http_ok, jixiao, jixiao_env, stop, wait_until
from retrieval import store as store_module
from retrieval.embedders import HashEmbedder
from retrieval.index import PrecedentIndex
from retrieval.search import SearchFilters
from retrieval.store import ChromaStore, StoreError

pytestmark = pytest.mark.slow

QUERIES = [("视频监控 在线率", None), ("资金拨付不及时", ["problems"]), ("加强合同管理", ["suggestions"]), ("等级保护测评", None)]


class Chroma:
    """A ``chroma run`` we start, stop and start again on the same data folder and port."""

    def __init__(self, tmp_path: Path) -> None:
        self.data = tmp_path / "chroma-server"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "chroma.log"
        self.process: subprocess.Popen | None = None
        self.startups: list[float] = []

    def launch(self) -> subprocess.Popen:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen([chroma_executable(), "run", "--path", str(self.data), "--host", "127.0.0.1", "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT)
        return self.process

    def start(self) -> float:
        launched = time.monotonic()
        process = self.launch()
        wait_until(http_ok(f"{self.url}/api/v2/heartbeat"), process, 60, "chroma run", self.log)
        self.startups.append(time.monotonic() - launched)
        return self.startups[-1]

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[Chroma]:
    server = Chroma(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def results(index: PrecedentIndex) -> list[list[tuple[str, float]]]:
    return [[(hit.chunk_id, hit.score) for hit in index.search(query, k=5, filters=SearchFilters(kinds=kinds))] for query, kinds in QUERIES]


def local_state(home: Path) -> dict[str, str]:
    """A fingerprint of the local files (vector cache rows, keyword index files)."""
    with closing(sqlite3.connect(home / "vectors.sqlite3")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT model, hash, vec FROM vectors ORDER BY model, hash").fetchall()
    state = {"vectors": hashlib.sha256(repr(rows).encode()).hexdigest()}
    with closing(sqlite3.connect(home / "keyword.sqlite3")) as db:
        postings = db.execute("SELECT doc_id, gen, version, arrays FROM docs ORDER BY doc_id").fetchall()
        postings += db.execute("SELECT seq, doc_id FROM changes ORDER BY seq").fetchall()
    state["keyword"] = hashlib.sha256(repr(postings).encode()).hexdigest()
    return state


def docs_folder(tmp_path: Path, names: list[str]) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(ROOT / "corpus" / "reports" / name, folder / name)
    return folder


def assert_clear(message: str, url: str) -> None:
    assert url in message, message
    assert "chroma run" in message and "重试" in message, message  # what to do
    assert "已尝试 4 次" in message, message  # 1 call + 3 retries


def test_server_stopped_mid_session(tmp_path: Path, chroma: Chroma) -> None:
    home = tmp_path / "home"
    folder = docs_folder(tmp_path, ["r01_zhengwuyun.md", "r02_dengbao.md", "r06_xueliang.md"])
    index = PrecedentIndex(home, HashEmbedder(), chroma_url=chroma.url)
    assert sorted(index.ingest([folder]).added) == ["r01_zhengwuyun", "r02_dengbao", "r06_xueliang"]
    before = results(index)
    assert all(before)
    local = local_state(home)
    app = _api(home, index)

    chroma.stop()
    # The next search (dense + catalog through Chroma): retried with backoff, then a clear error.
    started = time.monotonic()
    with pytest.raises(StoreError) as failure:
        index.search("资金拨付 合同管理", k=3)
    waited = time.monotonic() - started
    assert_clear(str(failure.value), chroma.url)
    assert sum(store_module.RETRY_DELAYS) <= waited < sum(store_module.RETRY_DELAYS) + 5
    # The next ingest, too (it reads the catalog from the server first).
    shutil.copy(ROOT / "corpus" / "reports" / "r03_jiaoyu.md", folder / "r03_jiaoyu.md")
    with pytest.raises(StoreError) as failure:
        PrecedentIndex(home, HashEmbedder(), chroma_url=chroma.url)
    assert_clear(str(failure.value), chroma.url)
    with pytest.raises(StoreError) as failure:
        index.ingest([folder])
    assert_clear(str(failure.value), chroma.url)
    # Over HTTP: 503 with the same message, as JSON.
    response = app.post("/v1/precedents/search", json={"query": "资金拨付不及时", "k": 3})
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "store_unavailable"
    assert_clear(response.json()["error"]["message"], chroma.url)
    # On the command line: one line, no traceback, exit code not 0.
    cli = subprocess.run(jixiao("search", "资金拨付不及时", "--home", str(home), "--chroma-url", chroma.url), env=jixiao_env(), capture_output=True, text=True, timeout=120)
    assert cli.returncode != 0
    assert "Traceback" not in cli.stderr and len(cli.stderr.strip().splitlines()) == 1, cli.stderr
    assert_clear(cli.stderr, chroma.url)

    assert local_state(home) == local, "a failed call must not touch the local vector cache or keyword index"

    chroma.start()
    index.forget_results()  # so that these searches reach the restarted server
    assert results(index) == before, "after a restart the same index object searches again, with the same results"
    report = index.ingest([folder])
    assert report.added == ["r03_jiaoyu"] and not report.failed


def test_server_stopped_in_the_middle_of_an_ingest(tmp_path: Path, chroma: Chroma, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    folder = docs_folder(tmp_path, ["r01_zhengwuyun.md"])
    index = PrecedentIndex(home, HashEmbedder(), chroma_url=chroma.url)
    index.ingest([folder])
    docs_folder(tmp_path, ["r04_yiliao.md", "r05_shuzizhengfu.md", "r07_zhihuichengshi.md"])

    commit = ChromaStore.commit_document
    commits: list[str] = []

    def commit_then_server_dies(self: ChromaStore, record: object) -> None:
        commit(self, record)  # type: ignore[arg-type]
        commits.append(record.meta.doc_id)  # type: ignore[attr-defined]
        if len(commits) == 1:
            chroma.stop()  # the server goes away after the first new document is committed

    monkeypatch.setattr(ChromaStore, "commit_document", commit_then_server_dies)
    with pytest.raises(StoreError) as failure:
        index.ingest([folder])
    monkeypatch.undo()
    assert_clear(str(failure.value), chroma.url)
    assert commits == ["r04_yiliao"]
    local = local_state(home)

    chroma.start()
    reopened = PrecedentIndex(home, HashEmbedder(), chroma_url=chroma.url)
    catalog = reopened.catalog()
    assert set(catalog) == {"r01_zhengwuyun", "r04_yiliao"}, "only the committed documents are visible"
    for doc_id, record in catalog.items():
        chunks = [meta for _, metas, _ in reopened.store.iter_chunks(False) for meta in metas if meta["doc_id"] == doc_id and meta["gen"] == record.generation]
        assert len(chunks) == record.chunks
    assert not reopened.search("智慧城市", k=5, filters=SearchFilters(doc_ids=["r05_shuzizhengfu", "r07_zhihuichengshi"]))
    assert local_state(home)["vectors"] == local["vectors"]
    report = reopened.ingest([folder])
    assert sorted(report.added) == ["r05_shuzizhengfu", "r07_zhihuichengshi"] and report.unchanged == ["r01_zhengwuyun", "r04_yiliao"]
    assert sorted(reopened.catalog()) == ["r01_zhengwuyun", "r04_yiliao", "r05_shuzizhengfu", "r07_zhihuichengshi"]


def test_a_server_restarted_within_the_backoff_window_is_picked_up(tmp_path: Path, chroma: Chroma, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    index = PrecedentIndex(home, HashEmbedder(), chroma_url=chroma.url)
    index.ingest([docs_folder(tmp_path, ["r06_xueliang.md", "r08_waiwang.md"])])
    before = results(index)

    # The window must cover the server's own start-up time on this machine; the default
    # (0.2 + 0.5 + 1 s) does here, a slow runner gets a longer schedule of the same shape.
    startup = max(chroma.startups)
    default = store_module.RETRY_DELAYS
    if startup * 1.5 + 0.3 > sum(default):
        monkeypatch.setattr(store_module, "RETRY_DELAYS", (0.2, 0.5, 1.0, 2.0, 4.0, 8.0))
    sleeps: list[float] = []

    class RecordingTime:  # the store module's ``time``, with its sleeps recorded
        def __getattr__(self, name: str) -> object:
            return getattr(time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            sleeps.append(seconds)
            time.sleep(seconds)

    monkeypatch.setattr(store_module, "time", RecordingTime())

    index.forget_results()  # the same queries again: without this the kept results would answer them, not the server
    chroma.stop()
    restarter = threading.Timer(0.3, chroma.launch)  # back 0.3 s after the next call starts failing, plus its start-up
    started = time.monotonic()
    restarter.start()
    try:
        after = results(index)
    finally:
        restarter.join()
    waited = time.monotonic() - started
    assert sleeps, "the first attempt must have failed (the server was down)"
    assert after == before
    print(f"\nchroma start-up {startup:.2f} s; the search waited {waited:.2f} s over {len(sleeps)} retries {sleeps}; schedule {store_module.RETRY_DELAYS}")


def _api(home: Path, index: PrecedentIndex) -> TestClient:
    from api.app import create_app
    from core.settings import load_settings

    return TestClient(create_app(load_settings(home=home), index=index))


def test_unreachable_at_start_is_one_clear_line(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    cli = subprocess.run(jixiao("ingest", str(ROOT / "corpus" / "reports" / "r01_zhengwuyun.md"), "--home", str(tmp_path / "home"), "--chroma-url", url), env=jixiao_env(), capture_output=True, text=True, timeout=120)
    assert cli.returncode != 0
    assert "Traceback" not in cli.stderr and len(cli.stderr.strip().splitlines()) == 1, cli.stderr
    assert_clear(cli.stderr, url)
