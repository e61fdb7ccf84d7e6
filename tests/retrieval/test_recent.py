"""The bounded memory of recent results that search and query embedding use."""

from __future__ import annotations

from retrieval.recent import Recent


def test_keeps_the_last_keys_and_drops_the_least_recently_used() -> None:
    calls: list[str] = []
    recent: Recent[str, str] = Recent(2)

    def upper(key: str) -> str:
        calls.append(key)
        return key.upper()

    assert [recent.get(key, lambda key=key: upper(key)) for key in ("a", "b", "a", "c", "b", "a")] == ["A", "B", "A", "C", "B", "A"]
    # a, b computed; a kept (used again); c drops b (least recent); b drops a; a computed again
    assert calls == ["a", "b", "c", "b", "a"] and len(recent) == 2
