"""API keys: random tokens shown once, stored as SHA-256 hashes, compared in constant time, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from workspace.db import Database

PREFIX = "jx_"


@dataclass(frozen=True)
class ApiKey:
    id: int
    name: str
    created: float
    revoked: float | None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class KeyStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, name: str) -> str:
        """A new key for ``name``; the token is returned once and never stored."""
        name = name.strip()
        if not name:
            raise ValueError("密钥名称不能为空")
        token = PREFIX + secrets.token_urlsafe(32)
        with self.db.connect() as db:
            if db.execute("SELECT 1 FROM api_keys WHERE name = ?", (name,)).fetchone():
                raise ValueError(f"已有名为“{name}”的密钥（可先 jixiao keys revoke {name}）")
            db.execute("INSERT INTO api_keys (name, key_hash, created) VALUES (?, ?, ?)", (name, _hash(token), time.time()))
        return token

    def verify(self, token: str | None) -> ApiKey | None:
        """The live key matching ``token``: every stored hash is compared in constant time."""
        if not token:
            return None
        candidate = _hash(token)
        found = None
        with self.db.connect() as db:
            rows = db.execute("SELECT id, name, key_hash, created, revoked FROM api_keys").fetchall()
        for row in rows:
            if hmac.compare_digest(candidate, row["key_hash"]) and row["revoked"] is None:
                found = ApiKey(row["id"], row["name"], row["created"], row["revoked"])
        return found

    def revoke(self, name: str) -> bool:
        with self.db.connect() as db:
            cursor = db.execute("UPDATE api_keys SET revoked = ? WHERE name = ? AND revoked IS NULL", (time.time(), name))
            return cursor.rowcount > 0

    def list(self) -> list[ApiKey]:
        with self.db.connect() as db:
            rows = db.execute("SELECT id, name, created, revoked FROM api_keys ORDER BY id").fetchall()
        return [ApiKey(row["id"], row["name"], row["created"], row["revoked"]) for row in rows]
