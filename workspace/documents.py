"""Uploaded documents: who uploaded which, and the files themselves under the data directory.

A document a key uploads is visible to that key only (search, passages, drafts,
chat); the bundled corpus and what the CLI ingests are visible to everyone.
"""

from __future__ import annotations

import errno
import re
from pathlib import Path

from workspace.db import Database
from workspace.errors import StorageFull

#: Write failures that mean the data directory is full or read-only.
STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


class DocumentStore:
    """Ownership rows in the server database and the uploaded files in ``home/uploads/<owner>/``."""

    def __init__(self, db: Database, home: Path) -> None:
        self.db, self.home = db, Path(home)

    def owner_of(self, doc_id: str) -> str | None:
        with self.db.connect() as db:
            row = db.execute("SELECT owner FROM documents_owner WHERE doc_id = ?", (doc_id,)).fetchone()
        return None if row is None else str(row["owner"])

    def owners(self) -> dict[str, str]:
        with self.db.connect() as db:
            return {row["doc_id"]: row["owner"] for row in db.execute("SELECT doc_id, owner FROM documents_owner")}

    def hidden_from(self, owner: str) -> set[str]:
        """Documents other owners uploaded."""
        with self.db.connect() as db:
            return {row["doc_id"] for row in db.execute("SELECT doc_id FROM documents_owner WHERE owner != ?", (owner,))}

    def claim(self, doc_id: str, owner: str) -> None:
        with self.db.connect() as db:
            db.execute("INSERT OR REPLACE INTO documents_owner (doc_id, owner) VALUES (?, ?)", (doc_id, owner))

    def release(self, doc_id: str) -> None:
        with self.db.connect() as db:
            db.execute("DELETE FROM documents_owner WHERE doc_id = ?", (doc_id,))

    def save(self, owner: str, name: str, data: bytes) -> Path:
        """Write an upload atomically; nothing half-written is left, whatever the failure."""
        folder = self.home / "uploads" / re.sub(r"[^\w]", "_", owner)
        target = folder / name
        tmp = folder / f".{name}.part"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            tmp.replace(target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            if exc.errno not in STORAGE_ERRNOS:
                raise
            raise StorageFull(f"服务器无法保存上传的文件（{exc.strerror or exc}）：数据目录磁盘已满或只读。请联系管理员释放空间或检查权限后重新上传。", "file") from None
        return target
