"""Two server workers write the sessions database at once: WAL plus a busy timeout serialise them, no write is lost or refused."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

from workspace.db import open_database

WRITES = 150


def _writer(home: str, name: str) -> None:
    database = open_database(Path(home))
    for i in range(WRITES):
        with database.connect() as connection:  # BEGIN IMMEDIATE: the other process waits (busy_timeout), it is not refused
            connection.execute("INSERT INTO sessions (id, owner, title, created, updated) VALUES (?, ?, ?, ?, ?)", (f"{name}-{i}", name, "会话", time.time(), time.time()))
            connection.execute("INSERT INTO messages (session_id, role, content, created) VALUES (?, 'user', ?, ?)", (f"{name}-{i}", "预算执行率是多少", time.time()))


def test_two_processes_write_sessions_concurrently(tmp_path: Path) -> None:
    open_database(tmp_path)  # the schema, as the serving parent creates it
    context = multiprocessing.get_context("spawn")  # as uvicorn starts its workers
    workers = [context.Process(target=_writer, args=(str(tmp_path), name)) for name in ("w1", "w2")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [worker.exitcode for worker in workers] == [0, 0]
    with open_database(tmp_path).connect() as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        counts = dict(connection.execute("SELECT owner, count(*) FROM sessions GROUP BY owner").fetchall())
        messages = connection.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert counts == {"w1": WRITES, "w2": WRITES} and messages == 2 * WRITES
