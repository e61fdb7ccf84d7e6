"""The vector cache: one SQLite connection shared by a server's request threads."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from retrieval.vector_cache import VectorCache, text_hash


def test_threads_writing_and_reading_one_cache_at_once_lose_nothing(tmp_path: Path) -> None:
    cache = VectorCache(tmp_path / "vectors.sqlite")
    rng = np.random.default_rng(3)

    def batch(n: int) -> dict[str, np.ndarray]:
        return {text_hash(f"段落{n}-{i}"): rng.random(8, dtype=np.float32) for i in range(50)}

    batches = [batch(n) for n in range(40)]

    def write_then_read(items: dict[str, np.ndarray]) -> int:
        cache.put_many("m", items)
        found = cache.get_many("m", list(items))
        assert all(np.array_equal(found[key], vec) for key, vec in items.items())
        return cache.count("m")

    with ThreadPoolExecutor(8) as pool:
        counts = list(pool.map(write_then_read, batches))
    assert max(counts) == cache.count("m") == 40 * 50
    assert min(counts) >= 50
    cache.close()
