"""``kill -9`` of a real ``python -m jixiao serve`` while it answers a chat message, then a restart on the same data directory.

A session is created with the sample case and given several messages. Then a
whole-report draft is requested and the server is killed while it is working
on it, three times over: as soon as the request's user message is committed
(seen in the database, so the answer is being drafted), after a delay drawn
from the measured time of the same request, and while it is streaming its
answer (SSE). After each
restart every message that was committed before the kill is there, in order,
with the session's case; the interrupted request's user message may or may not
be there (and its answer too, if it was committed before the kill), and the
session keeps working. The server's SQLite database is in WAL mode and intact.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import time
from contextlib import closing
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from reliability.fault_helpers import free_port, http_ok, jixiao, jixiao_env, wait_until

pytestmark = pytest.mark.slow

REPORT = "帮我起草整篇报告"
WARM_UP = ["预算执行率是多少，扣了几分？", "以往报告里资金拨付不及时怎么表述的？", "帮我起草存在的问题部分", "这份报告的总分算得对吗？", REPORT]


class Server:
    def __init__(self, home: Path, log: Path) -> None:
        self.home, self.log = home, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> float:
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(jixiao("serve", "--home", str(self.home), "--port", str(self.port)), env=jixiao_env(), stdout=log, stderr=subprocess.STDOUT)
        return wait_until(http_ok(f"{self.url}/health"), self.process, 180, "jixiao serve", self.log)

    def kill(self) -> None:
        assert self.process is not None and self.process.poll() is None, "the server died before it was killed"
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        assert self.process.returncode == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def raw_post(url: str, path: str, body: dict[str, Any], accept: str = "application/json") -> socket.socket:
    """Send a whole POST on a plain socket and return without reading the answer."""
    parsed = urlparse(url)
    data = json.dumps(body, ensure_ascii=False).encode()
    head = f"POST {path} HTTP/1.1\r\nHost: {parsed.netloc}\r\nContent-Type: application/json\r\nAccept: {accept}\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    sock = socket.create_connection((parsed.hostname, parsed.port), timeout=30)
    sock.sendall(head.encode() + data)
    return sock


def received(sock: socket.socket) -> bytes:
    """Whatever the (now dead) server sent before it was killed."""
    sock.settimeout(5)
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except OSError:
        pass
    sock.close()
    return b"".join(chunks)


def committed(database: Path, session: str, content: str) -> bool:
    """Whether the server has committed this user message (read from its WAL database by a second connection)."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as db:
        return db.execute("SELECT COUNT(*) FROM messages WHERE session_id = ? AND content = ?", (session, content)).fetchone()[0] > 0


def history(client: httpx.Client, session: str) -> tuple[dict[str, Any], list[tuple[str, str, str | None]]]:
    response = client.get(f"/v1/sessions/{session}")
    assert response.status_code == 200, response.text
    data = response.json()
    return data, [(m["role"], m["content"], m.get("intent")) for m in data["messages"]]


def test_kill_dash_nine_while_answering_loses_no_committed_message(tmp_path: Path) -> None:
    seed = int(os.environ.get("JIXIAO_KILL_SEED") or random.SystemRandom().randrange(2**32))
    print(f"\nkill -9 serve: JIXIAO_KILL_SEED={seed}")
    rng = random.Random(seed)
    server = Server(tmp_path / "home", tmp_path / "serve.log")
    first_start = server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            case = client.get("/v1/sample-case").json()
            session = client.post("/v1/sessions", json={"case": case, "title": "中断测试"}).json()["id"]
            expected: list[tuple[str, str, str | None]] = []
            latency = 0.0
            for message in WARM_UP:
                started = time.monotonic()
                reply = client.post(f"/v1/sessions/{session}/messages", json={"content": message})
                latency = time.monotonic() - started
                assert reply.status_code == 200, reply.text
                expected += [("user", message, None), ("assistant", reply.json()["content"], reply.json()["intent"])]
            assert expected[-1][2] == "draft"
            print(f"first start (imports the sample corpus) {first_start:.1f} s; a whole-report answer takes {latency:.2f} s")

        outcomes = []
        database = server.home / "jixiao.sqlite3"
        for cycle in range(3):
            streaming = cycle == 2
            content = f"{REPORT}（第{cycle + 1}次）"
            sock = raw_post(server.url, f"/v1/sessions/{session}/messages", {"content": content}, "text/event-stream" if streaming else "application/json")
            first_bytes = b""
            if streaming:
                sock.settimeout(60)
                first_bytes = sock.recv(1024)  # the stream has begun: the answer is being sent
                assert first_bytes.startswith(b"HTTP/1.1 200"), first_bytes[:200]
                delay = 0.0
            elif cycle == 0:
                sent = time.monotonic()
                wait_until(lambda: committed(database, session, content), server.process, 30, "the user message")
                delay = time.monotonic() - sent
            else:
                delay = latency * rng.uniform(0.05, 0.9)
                time.sleep(delay)
            server.kill()
            got = first_bytes + received(sock)
            answered = b'"content"' in got or b"event: done" in got  # the whole answer reached the client
            wal = (server.home / "jixiao.sqlite3-wal")
            wal_bytes = wal.stat().st_size if wal.exists() else 0

            restart = server.start()
            with httpx.Client(base_url=server.url, timeout=60) as client:
                data, messages = history(client, session)
                assert data["case"] == case, "the session's case must survive the kill"
                assert messages[: len(expected)] == expected, "every message committed before the kill is there, in order"
                tail = messages[len(expected) :]
                assert tail in ([], [("user", content, None)]) or (len(tail) == 2 and tail[0] == ("user", content, None) and tail[1][0] == "assistant" and tail[1][2] == "draft"), tail
                if streaming:
                    assert len(tail) == 2, "a streamed answer is committed before its first byte is sent"
                if cycle == 0:
                    assert tail, "the user message seen committed before the kill is there after it"
                # Roles alternate; the only user messages without an answer are interrupted ones.
                for (role, text, _), following in zip(messages, [*messages[1:], None]):
                    if role == "assistant":
                        assert following is None or following[0] == "user"
                    elif following is None or following[0] == "user":
                        assert REPORT in text and "次）" in text, f"an answered message lost its answer: {text}"
                expected = messages
                outcomes.append((cycle, "stream" if streaming else "json", delay, answered, len(tail), wal_bytes, restart))

                # The session keeps working after the restart.
                reply = client.post(f"/v1/sessions/{session}/messages", json={"content": "预算执行率是多少，扣了几分？"})
                assert reply.status_code == 200 and reply.json()["intent"] == "figure"
                expected += [("user", "预算执行率是多少，扣了几分？", None), ("assistant", reply.json()["content"], "figure")]
                assert history(client, session)[1] == expected
        with closing(sqlite3.connect(server.home / "jixiao.sqlite3")) as db:
            assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        server.stop()

    print(f"{'cycle':>5} {'request':<7} {'kill after s':>12} {'answered':>10} {'kept':>4} {'WAL bytes':>9} {'restart s':>9}")
    for cycle, kind, delay, answered, kept, wal_bytes, restart in outcomes:
        print(f"{cycle:>5} {kind:<7} {delay:12.2f} {str(answered):>10} {kept:>4} {wal_bytes:>9} {restart:9.2f}")
    print(f"{len(expected)} messages in the session at the end; seed {seed}")
