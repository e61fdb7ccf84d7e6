"""A real ``jixiao serve`` on one data directory: with two workers (over a supervised ``chroma run``) a CLI
ingest meanwhile is found by every worker's next search, keyword and vector; with one worker (the embedded
store, which one process may open) the CLI ingest is refused with a message and writes nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import SEEDS
from reliability.fault_helpers import free_port, http_ok, jixiao, jixiao_env, stop, wait_until

pytestmark = pytest.mark.slow
QUERY = "预算执行率"


def search(url: str, doc_id: str, mode: str = "keyword") -> tuple[float, str, bool]:
    """(when, which worker, whether ``doc_id`` was found) of one search on a fresh connection."""
    response = httpx.post(f"{url}/v1/precedents/search", json={"query": QUERY, "k": 3, "doc_ids": [doc_id], "mode": mode}, timeout=30)
    assert response.status_code == 200, response.text
    return time.monotonic(), response.headers["x-jixiao-worker"], any(hit["doc_id"] == doc_id for hit in response.json())


def serve_and_ingest(tmp_path: Path, home: Path, workers: int, seed: Path) -> None:
    port, log = free_port(), tmp_path / f"serve{workers}.log"
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        process = subprocess.Popen(jixiao("serve", "--home", str(home), "--port", str(port), "--workers", str(workers)), env=jixiao_env(), stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until(http_ok(f"{url}/health"), process, 300, "jixiao serve", log)
        with ThreadPoolExecutor(8) as pool:
            before = list(pool.map(lambda _: search(url, seed.stem), range(16)))
        assert not any(found for _, _, found in before)
        folder = tmp_path / f"new{workers}"
        folder.mkdir()
        shutil.copy(seed, folder / seed.name)
        cli = subprocess.run(jixiao("ingest", str(folder), "--home", str(home)), env=jixiao_env(), capture_output=True, text=True, timeout=300)
        if workers == 1:
            assert cli.returncode == 2, cli.stderr
            assert "正被另一个 jixiao 进程使用" in cli.stderr and "jixiao serve" in cli.stderr and "--workers 2" in cli.stderr, cli.stderr
            assert "Traceback" not in cli.stderr + cli.stdout
            assert not any(found for _, _, found in (search(url, seed.stem, mode) for mode in ("keyword", "dense"))), "the refused ingest wrote nothing"
        else:
            assert cli.returncode == 0, cli.stderr
            done = time.monotonic()
            when, _, found = search(url, seed.stem)
            assert found and when - done < 1.0, f"the next search found it {when - done:.2f} s after the ingest returned"
            after: list[tuple[float, str, bool]] = []
            with ThreadPoolExecutor(8) as pool:  # concurrent fresh connections, until every worker has answered
                while len({worker for _, worker, _ in after}) < workers and len(after) < 160:
                    after += pool.map(lambda _: search(url, seed.stem), range(16))
            assert all(found for _, _, found in after), "every search after the ingest, in every worker, finds the new report"
            dense = [search(url, seed.stem, "dense") for _ in range(8)]
            assert all(found for _, _, found in dense), "its vectors too: the workers share the Chroma server the CLI wrote to"
            assert len({worker for _, worker, _ in after}) == workers, "every worker answered after the ingest"
        chroma = json.loads((home / "chroma-server.json").read_text()) if workers > 1 else None
    finally:
        stop(process)
    assert process.returncode in (0, -signal.SIGTERM), log.read_text(errors="replace")[-2000:]  # uvicorn re-raises the signal it handled
    if chroma is not None:
        assert not (home / "chroma-server.json").exists(), "the supervised Chroma server is stopped with the server"
        with pytest.raises(ProcessLookupError):
            os.kill(chroma["chroma_pid"], 0)


def test_cli_ingest_is_seen_by_every_worker(tmp_path: Path) -> None:
    seeds = sorted(SEEDS.glob("*.txt"))
    if len(seeds) < 2:
        pytest.skip("seeds not found")
    home = tmp_path / "home"
    serve_and_ingest(tmp_path, home, 1, seeds[0])  # refused: the embedded store is the server's
    serve_and_ingest(tmp_path, home, 2, seeds[1])  # the same data directory, now through chroma run
