"""Time the scoring engine on a generated case: 10,000 leaves, 50,000 findings.

Run:  python benchmarks/bench_scoring.py [--leaves 10000] [--findings 50000] [--repeat 5]

Run:  python benchmarks/bench_scoring.py --families 6   (only the six families of the first version, to compare)

Prints the time to validate the case (pydantic, what loading a file costs
beyond parsing) and the time to score it (the pure engine), each as min and
median over the repeats, in wall-clock time and in this process's CPU time
(a machine shared with other work inflates the wall clock, much less the CPU
time); then scoring plus reading every node's audit (what ``jixiao score`` and
``--json`` pay: node results and their audits are built on first read); and a
baseline, the same engine on a 100-leaf case, so the ratio shows how cost grows
with size. A "machine speed" line gives the cost of one field read on this
machine (pydantic and plain): the engine is mostly such reads, so compare those
before comparing score times from two machines (or two moments of a shared one).
Aim: scoring under 100 ms median.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring import Case, score_case  # noqa: E402

RULE_MAKERS = [
    lambda rng: {"type": "judgment", "deduction": str(rng.choice([0, 0, 0.5, 1])), "reason": "抽查发现问题"},
    lambda rng: {"type": "ratio", "rate": str(round(rng.uniform(60, 110), 2))},
    lambda rng: {"type": "per_finding", "per": rng.choice(["0.2", "0.5"])},
    lambda rng: {"type": "levels", "level": rng.choice(["好", "较好", "一般"])},
    lambda rng: {"type": "output_band", "target": 100, "actual": rng.randint(80, 140)},
    lambda rng: {"type": "result_target", "target": 50, "actual": rng.randint(40, 60)},
    lambda rng: {"type": "tiered", "value": rng.randint(50, 100), "tiers": [{"min": 95, "percent": 100}, {"min": 80, "max": 95, "percent": 80}, {"max": 80, "percent": 0}]},
    lambda rng: {"type": "composite", "base": {"type": "ratio", "rate": rng.randint(80, 100)}, "per": "0.25"},
    lambda rng: {"type": "upper_bound", "limit": 15, "actual": rng.randint(0, 30), "per": "0.5"},
    lambda rng: {"type": "lateness", "due": "2024-03-31", "actual": rng.choice(["2024-03-31", "2024-04-02", "2024-05-01"]), "per": "0.1"},
]


def generate(leaves: int, findings: int, seed: int = 7) -> dict[str, Any]:
    """Four 一级, 25 二级 each, leaves spread evenly below; per-finding leaves get the findings."""
    rng = random.Random(seed)
    per_second = max(1, leaves // 100)
    roots = []
    leaf_names: list[str] = []
    count = 0
    for a in range(4):
        seconds = []
        for b in range(25):
            children = []
            for c in range(per_second):
                if count >= leaves:
                    break
                name = f"指标{a}-{b}-{c}"
                children.append({"name": name, "weight": "1", "rule": RULE_MAKERS[count % len(RULE_MAKERS)](rng)})
                leaf_names.append(f"一级{a}/二级{a}-{b}/{name}")
                count += 1
            if children:
                seconds.append({"name": f"二级{a}-{b}", "children": children})
        roots.append({"name": f"一级{a}", "children": seconds})
    per_finding = [name for i, name in enumerate(leaf_names) if i % len(RULE_MAKERS) == 2]
    rows = [{"nature": rng.choice(["政府采购管理不规范", "合同管理不规范", "验收不及时"]), "indicator": rng.choice(per_finding)} for _ in range(findings)]
    return {"project": {"name": "基准"}, "full_score": str(count), "indicators": roots, "findings": rows}


def timed(function: Any, repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this process's) milliseconds of each call."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        cpu.append((time.process_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return wall, cpu


def field_read_ns(finding: Any, repeat: int = 5) -> tuple[float, float]:
    """Nanoseconds per field read on a case finding (pydantic) and on a plain slotted object, on this machine.

    The engine's cost is mostly such reads (≈ 275,000 per score of the 10,000-leaf case), so these two figures
    say how fast a machine is for it: compare them before comparing score times measured on two machines.
    """
    class Plain:
        __slots__ = ("indicator",)

        def __init__(self) -> None:
            self.indicator = finding.indicator

    plain = Plain()
    number = 200_000
    out = []
    for target in (finding, plain):
        out.append(min(timeit.repeat("target.indicator", globals={"target": target}, number=number, repeat=repeat)) / number * 1e9)
    return out[0], out[1]


def line(label: str, times: tuple[list[float], list[float]], places: int = 1, note: str = "") -> str:
    wall, cpu = times
    width = 8
    return (
        f"{label:<21}wall min {min(wall):{width}.{places}f} ms  median {statistics.median(wall):{width}.{places}f} ms   "
        f"cpu min {min(cpu):{width}.{places}f} ms  median {statistics.median(cpu):{width}.{places}f} ms{note}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leaves", type=int, default=10_000)
    parser.add_argument("--findings", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--families", type=int, default=len(RULE_MAKERS), help="use only the first N rule families (6 = the families before tiered/composite/upper_bound/lateness)")
    args = parser.parse_args()
    del RULE_MAKERS[max(1, args.families):]

    data = generate(args.leaves, args.findings)
    validate = timed(lambda: Case.model_validate(data), args.repeat)
    case = Case.model_validate(data)
    score = timed(lambda: score_case(case), args.repeat)
    result = score_case(case)

    small = Case.model_validate(generate(100, 500))
    baseline = timed(lambda: score_case(small), args.repeat * 4)

    # What a caller that shows every audit pays on top (``jixiao score``, ``--json``): nodes and audits are built on first read.
    audits = timed(lambda: [node.audit for node in score_case(case).nodes], args.repeat)

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"case: {args.leaves} leaves ({len(RULE_MAKERS)} rule families), {args.findings} findings, {len(result.nodes)} nodes, total {result.total}, {len(result.checks)} checks")
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.2f} (wall clock counts waiting for a loaded machine; cpu is this process's own time)")
    pydantic_read, plain_read = field_read_ns(case.findings[0])
    print(f"machine speed: a field read costs {pydantic_read:.0f} ns on a case finding (pydantic), {plain_read:.0f} ns on a plain object (compare these before comparing two machines' times)")
    print(line("validate (pydantic):", validate))
    print(line("score (engine):", score, note="   (aim < 100 ms median)"))
    print(line("score + every audit:", audits))
    print(line("baseline 100 leaves:", baseline, places=2))
    print(
        f"ratio large/baseline (median): wall {statistics.median(score[0]) / statistics.median(baseline[0]):.1f}x, "
        f"cpu {statistics.median(score[1]) / statistics.median(baseline[1]):.1f}x for {args.leaves / 100:.0f}x the leaves"
    )


if __name__ == "__main__":
    main()
