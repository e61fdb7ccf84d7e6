"""The Chroma server ``jixiao serve --workers N`` runs for its workers: started, watched, stopped with it.

The embedded Chroma store may be opened by one process only; several workers
share it through ``chroma run`` on the same folder. While it runs, its address
is written to ``chroma-server.json`` in the data directory, so a ``jixiao``
command run meanwhile on that directory (an ingest) goes through the server too.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from core.settings import CHROMA_SERVER_FILE
from retrieval.errors import StoreError
from retrieval.store_lock import hold_embedded_store, release_embedded_store

STARTUP_SECONDS = 60.0


class ChromaStartError(RuntimeError):
    """``chroma run`` is missing or did not answer; the message says what to do, in Chinese."""


def chroma_command() -> str | None:
    beside = Path(sys.executable).with_name("chroma")
    return str(beside) if beside.exists() else shutil.which("chroma")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """Linux: the Chroma server gets SIGTERM if ``jixiao serve`` dies without stopping it (kill -9)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class ChromaServer:
    """``chroma run --path <home>/chroma`` on a free loopback port."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.home / "chroma-server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = chroma_command()
        if command is None:
            raise ChromaStartError("找不到 chroma 命令（随 chromadb 安装）。请重新安装 jixiao 的依赖，或用 --chroma-url 指定已运行的 Chroma 服务，或改用 --workers 1。")
        self.home.mkdir(parents=True, exist_ok=True)
        try:  # the folder is Chroma's while it runs: no embedded opener meanwhile (an ingest started before serve)
            hold_embedded_store(self.home / "chroma", holder=f"chroma run（jixiao serve 的 Chroma 服务，{self.url}）")
        except StoreError as exc:
            raise ChromaStartError(str(exc)) from None
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [command, "run", "--path", str(self.home / "chroma"), "--host", "127.0.0.1", "--port", str(self.port)], stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ChromaStartError(f"Chroma 服务启动失败（退出码 {self.process.returncode}），详见 {self.log_path}。可用 --chroma-url 指定已运行的 Chroma 服务，或改用 --workers 1。")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    (self.home / CHROMA_SERVER_FILE).write_text(json.dumps({"url": self.url, "pid": os.getpid(), "chroma_pid": self.process.pid}), encoding="utf-8")
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise ChromaStartError(f"Chroma 服务 {STARTUP_SECONDS:.0f} 秒内没有响应，详见 {self.log_path}。可用 --chroma-url 指定已运行的 Chroma 服务，或改用 --workers 1。")

    def stop(self) -> None:
        (self.home / CHROMA_SERVER_FILE).unlink(missing_ok=True)
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        release_embedded_store(self.home / "chroma")
