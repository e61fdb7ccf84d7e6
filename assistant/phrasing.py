"""Default causes and suggestions per kind of problem (prompts/template/natures.yaml), matched by keyword."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ruamel.yaml import YAML

from assistant.render import PROMPTS


@dataclass(frozen=True)
class Phrasing:
    keywords: tuple[str, ...]
    cause: str
    suggestion_title: str
    suggestion: str


@lru_cache(maxsize=1)
def _table() -> tuple[Phrasing, ...]:
    rows = YAML(typ="safe").load((PROMPTS / "template" / "natures.yaml").read_text(encoding="utf-8"))
    return tuple(Phrasing(tuple(row["keywords"]), row["cause"], row["suggestion_title"], row["suggestion"]) for row in rows)


def phrasing_for(nature: str) -> Phrasing:
    """The first row whose keyword occurs in the 问题定性; the last row (no keywords) is the fallback."""
    for row in _table():
        if not row.keywords or any(keyword in nature for keyword in row.keywords):
            return row
    return _table()[-1]
