"""Helpers shared by the fault tests: free ports, child processes, waiting for a server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from conftest import ROOT, chroma_executable, free_port  # noqa: F401  (re-exported for the fault tests)


def jixiao_env(**extra: str) -> dict[str, str]:
    """The environment for a ``python -m jixiao`` child: the repository importable, the hash embedder, no LLM."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("JIXIAO_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *([env["PYTHONPATH"]] if env.get("PYTHONPATH") else [])])
    env["JIXIAO_EMBEDDER"] = "hash"
    env.update(extra)
    return env


def jixiao(*args: str) -> list[str]:
    return [sys.executable, "-m", "jixiao", *args]


def wait_until(ready: Callable[[], bool], process: subprocess.Popen | None, timeout: float, what: str, log: Path | None = None) -> float:
    """Poll ``ready`` until it holds; fail if ``process`` exits or ``timeout`` passes. Returns the seconds waited."""
    started = time.monotonic()
    while True:
        try:
            if ready():
                return time.monotonic() - started
        except (httpx.HTTPError, OSError):
            pass
        if process is not None and process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}: {log.read_text(errors='replace')[-2000:] if log else ''}")
        if time.monotonic() - started > timeout:
            pytest.fail(f"{what} not ready after {timeout} s: {log.read_text(errors='replace')[-2000:] if log else ''}")
        time.sleep(0.05)


def http_ok(url: str) -> Callable[[], bool]:
    return lambda: httpx.get(url, timeout=1).status_code == 200


def stop(process: subprocess.Popen, timeout: float = 30) -> None:
    """Terminate a child we started (and reap it); kill it if it does not go."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def forget_chroma_clients() -> None:
    """Drop chromadb's per-path client cache so an in-process test can open many data directories."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()
