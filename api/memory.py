"""The C heap of a server process: few malloc arenas, and its free pages handed back to the system now and then.

A worker answers requests on a pool of threads that come and go (anyio retires a thread idle for 10 s).
glibc gives threads arenas of their own, up to eight per core, and keeps each one's freed memory, so a
worker's resident memory crept up through a long soak while its Python objects did not grow. Capping the
arenas lets threads reuse each other's freed memory; trimming returns the free pages inside the heaps.
Elsewhere than glibc (macOS, musl) both are no-ops.
"""

from __future__ import annotations

import ctypes
import gc
import sys
import threading
from typing import Any

#: glibc's mallopt parameter for the number of arenas.
M_ARENA_MAX = -8
#: Arenas per process: the event loop's thread and one shared by the request threads.
ARENAS = 2
#: Python's own collector thresholds, for a process that runs for hours: the CLI raises them for its
#: one-shot commands (jixiao/cli.py), where start-up objects dominate; a server collects at the default pace,
#: so that garbage cycles do not wait hours in the oldest generation.
SERVER_GC_THRESHOLDS = (700, 10, 10)
#: Seconds between trims of the heap's free pages (a trim costs milliseconds).
TRIM_EVERY = 60.0


def _libc() -> Any | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas (before the request threads start); False where there is no glibc."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(M_ARENA_MAX, arenas))


def trim() -> bool:
    """Hand the heap's free pages back to the system; True if any were."""
    libc = _libc()
    return bool(libc is not None and libc.malloc_trim(0))


def start_trimming(every: float = TRIM_EVERY) -> threading.Event | None:
    """Trim every ``every`` seconds on a daemon thread until the returned event is set (None without glibc)."""
    if _libc() is None:
        return None
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(every):
            trim()

    threading.Thread(target=run, name="jixiao-malloc-trim", daemon=True).start()
    return stop


def tune_server_process() -> None:
    """For a process that will serve requests (``jixiao serve``, each of its workers): before its threads start."""
    gc.set_threshold(*SERVER_GC_THRESHOLDS)
    limit_arenas()
    start_trimming()
