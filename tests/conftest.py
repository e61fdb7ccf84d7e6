"""Shared fixtures: where the seeds and case files live, and a small case builder."""

from __future__ import annotations

import shutil
import socket
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from scoring import Case, parse_case, score_case
from scoring.results import ScoreResult

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
CASES = FIXTURES / "cases"
SEEDS = ROOT.parent / "shared" / "seeds"


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


@pytest.fixture
def parse():
    return lambda text: parse_case(text, "test.yaml")
