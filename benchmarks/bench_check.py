"""Time the report checker on each seed report (aim: under 2 s each).

Run:  python benchmarks/bench_check.py [--repeat 5] [--seeds ../shared/seeds]

Prints, per seed, the size, the number of findings, and the time of a cold
first check (includes the loaders' and the number parser's first use) and the
min / median of the following repeats; each timed run is a check and the
annotated reviewer's copy (``jixiao check --annotate``), from the file's bytes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checker import check_bytes
from checker.annotate import annotate_report


def check_and_annotate(path: Path) -> int:
    data = path.read_bytes()
    report = check_bytes(data, path.name)
    annotate_report(data, path.name, report)
    return len(report.findings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "seeds")
    args = parser.parse_args()
    paths = sorted(args.seeds.glob("*.txt"))
    if not paths:
        print(f"no seed reports under {args.seeds}", file=sys.stderr)
        return 2
    print(f"{'seed':<28}{'KB':>7}{'findings':>10}{'first (s)':>11}{'min (s)':>9}{'median (s)':>12}")
    worst = 0.0
    for path in paths:
        start = time.perf_counter()
        findings = check_and_annotate(path)
        first = time.perf_counter() - start
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            check_and_annotate(path)
            times.append(time.perf_counter() - start)
        worst = max(worst, first, *times)
        print(f"{path.name:<28}{path.stat().st_size / 1024:>7.1f}{findings:>10}{first:>11.3f}{min(times):>9.3f}{statistics.median(times):>12.3f}")
    print(f"slowest check + annotated copy: {worst:.3f} s (aim < 2 s): {'OK' if worst < 2 else 'TOO SLOW'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
