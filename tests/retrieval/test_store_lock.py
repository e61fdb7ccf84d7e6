"""The embedded Chroma folder is opened by one process at a time: a second one is refused with a message, never let in."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jixiao.supervise import ChromaServer, ChromaStartError
from retrieval.errors import StoreError
from retrieval.store import ChromaStore

ROOT = Path(__file__).resolve().parents[2]
HOLD = """
import sys, time
from pathlib import Path
from retrieval.store import ChromaStore
ChromaStore("hash", 8, path=Path(sys.argv[1]))
print("open", flush=True)
time.sleep(120)
"""


def holding_process(folder: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(folder), "--as-holder"], env=env, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "open"
    return child


def test_a_second_process_is_refused_until_the_first_ends(tmp_path: Path) -> None:
    folder = tmp_path / "home" / "chroma"
    child = holding_process(folder)
    try:
        with pytest.raises(StoreError) as refused:
            ChromaStore("hash", 8, path=folder)
        message = str(refused.value)
        assert f"进程 {child.pid}" in message and "--as-holder" in message, "it names the process that holds the folder"
        assert "jixiao serve --workers 2" in message, "and says how to share the folder"
    finally:
        child.send_signal(signal.SIGKILL)  # the lock goes with the process, even after kill -9
        child.wait()
    store = ChromaStore("hash", 8, path=folder)
    assert store.catalog() == {}
    ChromaStore("hash", 8, path=folder)  # the same process may open it again


def test_the_supervised_chroma_server_does_not_start_on_a_folder_in_use(tmp_path: Path) -> None:
    home = tmp_path / "home"
    child = holding_process(home / "chroma")
    try:
        started = time.monotonic()
        with pytest.raises(ChromaStartError) as refused:
            ChromaServer(home).start()
        assert f"进程 {child.pid}" in str(refused.value)
        assert time.monotonic() - started < 5, "refused at once, without launching chroma run"
        assert not (home / "chroma-server.json").exists()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
