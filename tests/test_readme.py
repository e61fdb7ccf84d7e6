"""Every shell example in README.md runs, as written, on a fresh copy of the repository.

The README's ```bash blocks are split into commands (continuation lines joined,
comment lines dropped) and run with bash in a copy of the tracked files, with a
temporary ``JIXIAO_HOME`` and ``/tmp/`` pointed at a temporary folder. ``jixiao``
and ``python`` are this interpreter (so the copy's code runs). A ``jixiao serve …``
line is started on a free port, must answer ``/health`` and is stopped; the HTTP
API block runs as one script against such a server, and no answer may be an error.
A command documented to exit 1 (``--strict`` on a case with errors) may do so.

Not run (each is matched by ``SKIPPED`` below):

- ``python -m pip install -e . && jixiao serve``: installs the package (the test
  environment has it; ``jixiao serve`` itself runs in the serve block);
- ``bash scripts/test.sh``: installs system packages and runs the whole suite, this test included;
- the Chroma server block (``chroma run …``, ``JIXIAO_CHROMA_URL``): needs a remote Chroma server;
- the LLM block (``JIXIAO_LLM_BASE_URL`` …, ``--backend llm``): needs an LLM endpoint;
- ``python benchmarks/…``: performance runs of minutes each, run on demand;
- ``python -m retrieval.bundle``: regenerates the shipped vectors (minutes with the default model).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import ROOT, free_port, wait_for_health

pytestmark = pytest.mark.slow

BLOCK = re.compile(r"```bash\n(.*?)```", re.S)
#: Blocks not run as a whole: (a string the block contains, why).
SKIPPED_BLOCKS = (("JIXIAO_CHROMA_URL", "needs a Chroma server"), ("JIXIAO_LLM_BASE_URL", "needs an LLM endpoint"))
#: Commands not run: (pattern, why).
SKIPPED = (
    (r"pip install", "installs the package"),
    (r"scripts/test\.sh", "runs the whole suite"),
    (r"benchmarks/", "performance runs"),
    (r"retrieval\.bundle", "regenerates the shipped vectors"),
)
API_BLOCK = "J=http://127.0.0.1:8765"
#: The API's error envelope (``"severity": "error"`` in a check is not one).
ERROR_ANSWER = re.compile(r'"error"\s*:\s*\{\s*"code"')


def readme_blocks() -> list[str]:
    return BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))


def commands(block: str) -> list[str]:
    """The block's commands: continuation lines joined, blank and comment lines dropped."""
    out: list[str] = []
    pending = ""
    for line in block.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        out.append(pending + line)
        pending = ""
    return out


def skipped(command: str) -> str | None:
    return next((why for pattern, why in SKIPPED if re.search(pattern, command)), None)


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tracked files as a fresh clone has them (their current contents)."""
    target = tmp_path_factory.mktemp("clone")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, clone: Path) -> dict[str, str]:
    shims = tmp_path_factory.mktemp("bin")
    for name, body in (("jixiao", f'exec "{sys.executable}" -m jixiao "$@"'), ("python", f'exec "{sys.executable}" "$@"')):
        shim = shims / name
        shim.write_text(f"#!/bin/sh\n{body}\n")
        shim.chmod(0o755)
    home = tmp_path_factory.mktemp("home")
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("JIXIAO_")},
        "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(clone),
        "JIXIAO_HOME": str(home),
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "100",
    }


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the README calls /tmp/."""
    return tmp_path_factory.mktemp("tmp")


def _local(command: str, scratch: Path) -> str:
    return command.replace("/tmp/", f"{scratch}/")


class Servers:
    """``jixiao serve …`` commands on free ports, one at a time: the one-worker server holds the data directory,
    so each is stopped before the next example runs on that directory."""

    def __init__(self, env: dict[str, str], clone: Path) -> None:
        self.env, self.clone = env, clone
        self.running: subprocess.Popen[bytes] | None = None

    def start(self, command: str) -> int:
        self.stop()
        port = free_port()
        log = open(self.clone / f"serve-{port}.log", "wb")  # noqa: SIM115 - closed with the process
        self.running = subprocess.Popen(["bash", "-c", f"exec {command} --port {port}"], cwd=self.clone, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        wait_for_health(self.running, f"http://127.0.0.1:{port}", self.clone / f"serve-{port}.log", 180, repr(command))
        return port

    def stop(self) -> None:
        if self.running is None:
            return
        self.running.terminate()
        try:
            self.running.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.running.kill()
            self.running.wait()
        self.running = None


@pytest.fixture()
def serve(env: dict[str, str], clone: Path) -> Iterator[Servers]:
    servers = Servers(env, clone)
    yield servers
    servers.stop()


def test_the_readme_lists_what_it_runs() -> None:
    """The README has the blocks this test expects (so a renamed block is noticed, not silently skipped)."""
    blocks = readme_blocks()
    assert sum(API_BLOCK in block for block in blocks) == 1
    assert all(any(marker in block for block in blocks) for marker, _ in SKIPPED_BLOCKS)
    assert "某文档编号" not in "".join(blocks) and "../shared" not in "".join(blocks)


def test_every_readme_example_runs(clone: Path, env: dict[str, str], scratch: Path, serve: Servers) -> None:
    failures: list[str] = []
    ran = 0
    for block in readme_blocks():
        if any(marker in block for marker, _ in SKIPPED_BLOCKS):
            continue
        if API_BLOCK in block:
            port = serve.start(f"{sys.executable} -m jixiao serve")
            script = _local(block.replace(API_BLOCK, f"J=http://127.0.0.1:{port}"), scratch)
            proc = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=clone, env=env, capture_output=True, text=True, timeout=600)
            serve.stop()
            ran += 1
            if proc.returncode != 0 or ERROR_ANSWER.search(proc.stdout):
                failures.append(f"HTTP API block: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
            continue
        for command in commands(block):
            if skipped(command):
                continue
            ran += 1
            if re.match(r"\s*jixiao serve\b", command):
                serve.start(command.split("#")[0].strip())  # answers /health, then stops before the next example
                serve.stop()
                continue
            proc = subprocess.run(["bash", "-c", _local(command, scratch)], cwd=clone, env=env, capture_output=True, text=True, timeout=600)
            allowed = (0, 1) if "--strict" in command else (0,)
            if proc.returncode not in allowed or "Traceback" in proc.stderr:
                failures.append(f"{command}\n  exit {proc.returncode}\n{proc.stdout[-1500:]}\n{proc.stderr[-1500:]}")
    assert ran >= 25, ran
    assert not failures, "\n\n".join(failures)
