"""Shared fixtures: where the seeds and case files live, and a small case builder."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from assistant.drafters import DrafterSpec
from assistant.drafters.llm import LLMDrafter
from core.plugins import hookimpl, register_plugin
from scoring import Case, parse_case, score_case
from scoring.results import ScoreResult

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CASES = FIXTURES / "cases"
SEEDS = ROOT.parent / "shared" / "seeds"


#: The longest test files (each a minute or more of the suite), collected first: scripts/test.sh runs
#: ``pytest -n 2 --dist loadfile --no-loadscope-reorder``, which hands files to the two workers in this
#: order, so these run beside the many short files instead of alone at the end. Order within a file is kept.
LONGEST_FIRST = (
    "reliability/test_kill_ingest.py",
    "test_readme.py",
    "reliability/test_case_fuzz.py",
    "reliability/test_api_abuse.py",
    "reliability/test_kill_server.py",
    "retrieval/test_embeddings.py",
    "reliability/test_chroma_down.py",
    "reliability/test_disk_faults.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: number for number, name in enumerate(LONGEST_FIRST)}
    tests = ROOT / "tests"
    items.sort(key=lambda item: rank.get(item.path.relative_to(tests).as_posix(), len(rank)))


def wait_for_health(process: "subprocess.Popen[bytes]", base: str, log: Path, seconds: float, what: str) -> None:
    """Wait until the server at ``base`` answers /health; fail with its log if it exits or stays silent."""
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not answer /health within {seconds:g} s:\n{log.read_text()}")
        time.sleep(0.2)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_executable() -> str:
    """The ``chroma`` command installed with chromadb (beside this Python, or on PATH)."""
    beside_python = Path(sys.executable).with_name("chroma")
    found = str(beside_python) if beside_python.exists() else shutil.which("chroma")
    if not found:
        pytest.fail("the chroma command (installed with chromadb) is missing")
    return found


def flat_routes(app: Any) -> list[Any]:
    """Every route the app answers, looking inside the routers it includes (FastAPI keeps each as one route)."""
    found, pending = [], list(app.routes)
    while pending:
        route = pending.pop(0)
        if hasattr(route, "original_router"):
            pending.extend(route.original_router.routes)
        else:
            found.append(route)
    return found


def make_pdf(pages: list[str]) -> bytes:
    """A minimal valid PDF: one Helvetica text line per page, xref offsets computed."""
    count = len(pages)
    page_ids = [3 + 2 * i for i in range(count)]
    font_id = 3 + 2 * count
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % i for i in page_ids) + b"] /Count %d >>" % count,
        font_id: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for page_id, text in zip(page_ids, pages):
        stream = b"BT /F1 12 Tf 72 720 Td (" + text.encode("ascii") + b") Tj ET"
        objects[page_id] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (page_id + 1, font_id)
        )
        objects[page_id + 1] = b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n" % number + objects[number] + b"\nendobj\n"
    xref = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    out += b"".join(b"%010d 00000 n \n" % offsets[n] for n in range(1, size))
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def sse(text: str) -> list[tuple[str, Any]]:
    """A server-sent event stream as (event, data) pairs."""
    import json

    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def seed_path(number: str) -> Path:
    """The seed report whose file name starts with ``number`` (``"004"``)."""
    matches = sorted(SEEDS.glob(f"{number}_*.txt"))
    if not matches:
        pytest.skip(f"seed {number} not found under {SEEDS}")
    return matches[0]


def leaf_case(rule: dict[str, Any], weight: Any = 10, funds: dict[str, Any] | None = None, findings: int = 0) -> Case:
    """A one-leaf case around ``rule`` (full score = the leaf weight)."""
    data: dict[str, Any] = {
        "project": {"name": "测试"},
        "full_score": weight,
        "indicators": [{"name": "指标", "weight": weight, "rule": rule}],
        "funds": funds or {},
        "findings": [{"nature": "问题", "indicator": "指标"} for _ in range(findings)],
    }
    return Case.model_validate(data)


def leaf_score(rule: dict[str, Any], weight: Any = 10, **kwargs: Any) -> tuple[Decimal, ScoreResult]:
    result = score_case(leaf_case(rule, weight, **kwargs))
    return result.node("指标").score, result


@pytest.fixture(scope="module")
def seed_index(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The five seed reports in a fresh index with the hash embedder (no model to load), once per test module."""
    from retrieval.embedders import HashEmbedder
    from retrieval.index import PrecedentIndex

    if len(list(SEEDS.glob("*.txt"))) < 5:
        pytest.skip("seeds not found")
    index = PrecedentIndex(tmp_path_factory.mktemp("home"), HashEmbedder())
    assert not index.ingest([SEEDS]).failed
    return index


@pytest.fixture
def parse():
    return lambda text: parse_case(text, "test.yaml")


# ── the one fake chat model, registered through the real drafter registry ──────────────────────────
# As simonw/llm's tests register a mock model through its register_models hook, this plugin registers a
# drafting back end named "fake": the real LLMDrafter (prompts, guard, repair, fallback) over a scripted
# chat model. Tests say what it answers with the ``fake_llm`` fixture and read what it was sent.


class ScriptedChatModel(BaseChatModel):
    """Answers from a script (a reply text, or an exception to raise) and keeps every message list it is sent."""

    replies: list[Any] = []
    sent: list[list[Any]] = []

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _next(self, messages: list[Any]) -> str:
        self.sent.append(list(messages))
        if not self.replies:
            raise RuntimeError("fake chat model: no reply scripted")
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return str(reply)

    def _generate(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._next(messages)))])

    def _stream(self, messages: list[Any], stop: Any = None, run_manager: Any = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        text = self._next(messages)
        for start in range(0, len(text), 12):
            yield ChatGenerationChunk(message=AIMessageChunk(content=text[start : start + 12]))


class FakeLLM:
    """The ``fake`` back end's model: ``script(*replies)`` sets what it answers; ``prompts`` is what it was asked."""

    def __init__(self) -> None:
        self.model = ScriptedChatModel()

    def script(self, *replies: str | BaseException) -> "FakeLLM":
        self.model = ScriptedChatModel(replies=list(replies), sent=[])
        return self

    @property
    def sent(self) -> list[list[Any]]:
        return self.model.sent

    @property
    def prompts(self) -> list[str]:
        return ["\n".join(str(message.content) for message in messages) for messages in self.model.sent]


FAKE_LLM = FakeLLM()


class FakeLLMPlugin:
    @hookimpl
    def register_drafters(self, register: Any) -> None:
        register(DrafterSpec(name="fake", label="测试用模型", factory=lambda settings: LLMDrafter(FAKE_LLM.model, "fake")))


register_plugin(FakeLLMPlugin(), "tests.fake-llm")


@pytest.fixture
def fake_llm() -> FakeLLM:
    """The fake model, with an empty script; ``backend="fake"`` drafts with it."""
    return FAKE_LLM.script()


# ── the browser tests' server and browser, one of each for the whole session ───────────────────────
# tests/api/test_web*.py each open their own browser context (cookies, storage) on this one server.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``jixiao serve`` on a fresh data directory and a free port; its base URL."""
    home = tmp_path_factory.mktemp("jixiao-home")
    port = free_port()
    log = (home / "server.log").open("w")
    # The bundled corpus ships its vectors, so the default embedder starts in a few seconds.
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "jixiao", "serve", "--home", str(home), "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(process, base, home / "server.log", 120, "server")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium under Playwright (a missing browser is a failure, not a skip)."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does: apt-get install chromium)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()
