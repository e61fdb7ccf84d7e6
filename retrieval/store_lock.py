"""One process at a time opens a data directory's embedded Chroma store.

Chroma's embedded store (``PersistentClient``) is not safe for two processes:
each keeps its own in-memory vector index, so a second process's additions are
not seen by the first, and two writers can damage the index. So whichever
process opens the folder (``jixiao serve`` with one worker, a CLI command, or the
``chroma run`` that ``jixiao serve --workers N`` supervises) holds an exclusive
file lock on ``<folder>.lock`` for as long as it lives; the operating system
releases it when the process ends, even after ``kill -9``. A second process is
refused at once with a message that names the holder and says what to do.
Within one process the lock is shared (opening the store twice is fine).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from filelock import FileLock, Timeout

from retrieval.errors import StoreError

HOLDER_SUFFIX = ".holder.json"
#: The locks this process holds, kept alive here: a lock object that is garbage-collected releases its lock.
_HELD: dict[Path, FileLock] = {}


def _lock_path(folder: Path) -> Path:
    return folder.with_name(folder.name + ".lock")


def _holder_path(folder: Path) -> Path:
    return folder.with_name(folder.name + HOLDER_SUFFIX)


def _describe_holder(folder: Path) -> str:
    try:
        found = json.loads(_holder_path(folder).read_text(encoding="utf-8"))
        return f"进程 {int(found['pid'])}：{str(found['command'])[:120]}"
    except (OSError, ValueError, KeyError, TypeError):
        return "另一个进程"


def hold_embedded_store(folder: Path, holder: str | None = None) -> FileLock:
    """Take (or re-enter) the lock on ``folder``'s embedded store; :class:`StoreError` if another process has it."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(_lock_path(folder), timeout=0, thread_local=False, is_singleton=True)
    first = not lock.is_locked
    try:
        lock.acquire()
    except Timeout:
        raise StoreError(
            f"数据目录 {folder.parent} 的向量库正被另一个 jixiao 进程使用（{_describe_holder(folder)}）。"
            "Chroma 的内嵌库同一时间只能由一个进程打开。请等它结束后再试；"
            "若它是 `jixiao serve`，请在网页或 HTTP API 中导入和检索，"
            "或改用 `jixiao serve --workers 2` 启动（它自带 Chroma 服务，命令行可同时使用这个数据目录）。"
        ) from None
    _HELD[_lock_path(folder)] = lock
    if first:
        command = holder or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
        _holder_path(folder).write_text(json.dumps({"pid": os.getpid(), "command": command}, ensure_ascii=False), encoding="utf-8")
    return lock


def release_embedded_store(folder: Path) -> None:
    """Give the lock back before the process ends (the supervisor, once its ``chroma run`` has stopped)."""
    lock = _HELD.pop(_lock_path(folder), None)
    if lock is not None:
        lock.release(force=True)
