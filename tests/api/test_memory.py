"""A server process's C heap: arenas capped, freed pages handed back (glibc only)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT
from api import memory

pytestmark = pytest.mark.skipif(memory._libc() is None, reason="glibc only")

FREE_THEN_TRIM = """
from api import memory

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024

assert memory.limit_arenas()
blocks = [bytearray(100_000) for _ in range(2000)]  # 200 MB of heap blocks (each below malloc's mmap threshold)
last = blocks[-1]  # the top of the heap stays in use: glibc cannot shrink it on its own
del blocks
before = rss_mb()
memory.trim()
print(before, rss_mb())
"""


def test_trim_hands_the_heaps_freed_pages_back_to_the_system() -> None:
    out = subprocess.run([sys.executable, "-c", FREE_THEN_TRIM], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    before, after = (float(x) for x in out.stdout.split())
    assert before - after > 150, (before, after)


def test_the_trimming_thread_runs_until_stopped() -> None:
    import threading

    stop = memory.start_trimming(every=0.01)
    assert stop is not None
    running = [t for t in threading.enumerate() if t.name == "jixiao-malloc-trim"]
    assert running
    stop.set()
    running[-1].join(timeout=5)
    assert not running[-1].is_alive()


def test_a_server_collects_garbage_at_pythons_pace_though_the_cli_collects_less() -> None:
    script = (
        "import gc\nfrom jixiao.cli import _collect_less\nfrom api.memory import tune_server_process\n"
        "_collect_less()\ncli = gc.get_threshold()\ntune_server_process()\nprint(cli[0], gc.get_threshold()[0])"
    )
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    cli, server = (int(x) for x in out.stdout.split())
    assert cli > server == memory.SERVER_GC_THRESHOLDS[0]
