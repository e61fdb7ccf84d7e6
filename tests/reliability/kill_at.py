"""Run the ``jixiao`` CLI in this process and ``kill -9`` it at a named point of an ingest.

``python tests/reliability/kill_at.py POINT N jixiao-args…`` (used by test_kill_ingest.py).
The process sends itself SIGKILL, so it dies exactly as under an outside ``kill -9``
(no ``finally``, no atexit, nothing flushed), but at a point chosen, not drawn:

- ``after-vectors``: the N-th document's chunks and vectors are written, its catalog record is not;
- ``after-commit``: the N-th document's catalog record is committed, its old generation not yet dropped;
- ``keyword-write``: every document is committed to the vector store, the run's keyword postings
  are tokenized and not yet written (the next search rebuilds them from the store's chunks).
"""

from __future__ import annotations

import os
import pathlib
import signal
import sys
from typing import Any


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def after_nth(owner: Any, name: str, nth: int) -> None:
    """Make ``owner.name`` die after its ``nth`` call returns."""
    original = getattr(owner, name)
    calls = [0]

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        calls[0] += 1
        if calls[0] == nth:
            die()
        return result

    setattr(owner, name, wrapper)


def install(point: str, nth: int) -> None:
    from retrieval.store import ChromaStore

    if point == "after-vectors":
        after_nth(ChromaStore, "write_chunks", nth)
    elif point == "after-commit":
        after_nth(ChromaStore, "commit_document", nth)
    elif point == "keyword-write":
        from retrieval.postings import PostingsStore

        PostingsStore.put = lambda *args, **kwargs: die()  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown kill point {point!r}")


if __name__ == "__main__":
    install(sys.argv[1], int(sys.argv[2]))
    sys.argv = ["jixiao", *sys.argv[3:]]
    from jixiao.cli import main

    main()
