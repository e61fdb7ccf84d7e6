"""The labelled passage questions of the retrieval benchmark and their splits: which may be looked at, which are only reported.

- ``tune`` and ``holdout`` (tests/fixtures/passage_queries.yaml): fixed by the query's hash (split_of);
- ``fresh`` (tests/fixtures/passage_queries_fresh.yaml): written after the default mode was frozen, never tuned on.
Only ``tune`` questions are ever listed as misses; the other two are reported as scores alone.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
PASSAGE_QUERIES = FIXTURES / "passage_queries.yaml"
FRESH_QUERIES = FIXTURES / "passage_queries_fresh.yaml"
SPLITS = ("tune", "holdout", "fresh")
CHOICES = (*SPLITS, "both", "all")


def split_of(query: str) -> str:
    """The fixed split of a passage query: a third by hash is ``holdout``, never used for tuning."""
    return "holdout" if int(hashlib.sha1(query.encode("utf-8")).hexdigest(), 16) % 3 == 0 else "tune"


def combined(hashed: list[dict[str, Any]], fresh: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The questions of both files in one list, after checking that each carries the split its file fixes."""
    for item in hashed:
        if item["split"] != split_of(item["query"]):
            raise ValueError(f"split of {item['query']!r} is not the hash split")
    for item in fresh:
        if item["split"] != "fresh":
            raise ValueError(f"{item['query']!r} is in the fresh file but marked {item['split']!r}")
    asked = {item["query"] for item in hashed}
    repeated = [item["query"] for item in fresh if item["query"] in asked]
    if repeated:
        raise ValueError(f"asked in both files: {repeated}")
    return [*hashed, *fresh]


def load() -> list[dict[str, Any]]:
    """Every labelled passage question, tune and holdout first, then fresh."""
    yaml = YAML(typ="safe")
    return combined(yaml.load(PASSAGE_QUERIES.read_text(encoding="utf-8")), yaml.load(FRESH_QUERIES.read_text(encoding="utf-8")))


def reported(choice: str) -> list[str]:
    """The splits a ``--split`` choice prints, in order: ``both`` and ``all`` print all three."""
    if choice in ("both", "all"):
        return list(SPLITS)
    if choice not in SPLITS:
        raise ValueError(f"unknown split {choice!r}")
    return [choice]


def may_list_misses(item: dict[str, Any]) -> bool:
    """Only ``tune`` misses are ever printed: reading holdout or fresh misses would be tuning on them."""
    return bool(item["split"] == "tune")
