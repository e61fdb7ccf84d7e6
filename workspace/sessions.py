"""Chat sessions: one case and its history, owned by one API key, persisted message by message."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from workspace.db import Database


class SessionNotFound(LookupError):
    """No such session for this key (another key's session is reported the same way)."""


@dataclass
class Message:
    id: int
    role: str
    content: str
    payload: dict[str, Any]
    created: float


class SessionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, owner: str, case: dict[str, Any] | None, title: str | None = None) -> str:
        session_id = uuid.uuid4().hex
        now = time.time()
        with self.db.connect() as db:
            db.execute(
                "INSERT INTO sessions (id, owner, title, case_json, created, updated) VALUES (?, ?, ?, ?, ?, ?)",
                (session_id, owner, title, json.dumps(case, ensure_ascii=False) if case is not None else None, now, now),
            )
        return session_id

    def get(self, session_id: str, owner: str) -> dict[str, Any]:
        with self.db.connect() as db:
            row = db.execute("SELECT * FROM sessions WHERE id = ? AND owner = ?", (session_id, owner)).fetchone()
        if row is None:
            raise SessionNotFound(session_id)
        return {"id": row["id"], "title": row["title"], "case": json.loads(row["case_json"]) if row["case_json"] else None, "created": row["created"], "updated": row["updated"]}

    def set_case(self, session_id: str, owner: str, case: dict[str, Any]) -> None:
        with self.db.connect() as db:
            cursor = db.execute("UPDATE sessions SET case_json = ?, updated = ? WHERE id = ? AND owner = ?", (json.dumps(case, ensure_ascii=False), time.time(), session_id, owner))
            if cursor.rowcount == 0:
                raise SessionNotFound(session_id)

    def add(self, session_id: str, owner: str, role: str, content: str, payload: dict[str, Any] | None = None) -> int:
        """Append a message; committed before this returns, so a crash after it loses nothing."""
        now = time.time()
        with self.db.connect() as db:
            if db.execute("SELECT 1 FROM sessions WHERE id = ? AND owner = ?", (session_id, owner)).fetchone() is None:
                raise SessionNotFound(session_id)
            cursor = db.execute(
                "INSERT INTO messages (session_id, role, content, payload, created) VALUES (?, ?, ?, ?, ?)",
                (session_id, role, content, json.dumps(payload or {}, ensure_ascii=False), now),
            )
            db.execute("UPDATE sessions SET updated = ? WHERE id = ?", (now, session_id))
            return int(cursor.lastrowid or 0)

    def history(self, session_id: str, owner: str) -> list[Message]:
        self.get(session_id, owner)
        with self.db.connect() as db:
            rows = db.execute("SELECT id, role, content, payload, created FROM messages WHERE session_id = ? ORDER BY id", (session_id,)).fetchall()
        return [Message(row["id"], row["role"], row["content"], json.loads(row["payload"] or "{}"), row["created"]) for row in rows]

    def list(self, owner: str) -> list[dict[str, Any]]:
        with self.db.connect() as db:
            rows = db.execute("SELECT id, title, created, updated FROM sessions WHERE owner = ? ORDER BY updated DESC", (owner,)).fetchall()
        return [dict(row) for row in rows]
