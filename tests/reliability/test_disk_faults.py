"""Disk full and read-only data directories: a clear error, and no half-written file.

Three ways of causing the fault, from the most real to the most targeted:

- a read-only directory (``chmod 0o555``) for a real ``python -m jixiao``
  process. Root ignores permissions, so when the tests run as root (CI) the
  child drops CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER from its
  capability bounding set first: it stays uid 0 but the mode bits apply;
- a real ENOSPC from the kernel: the temporary file a write goes through is a
  symlink to ``/dev/full``; for SQLite, a real SQLITE_FULL from
  ``PRAGMA max_page_count`` pinned to the current size;
- ``OSError(ENOSPC)`` / ``OSError(EROFS)`` raised at the moment of writing by
  a patched ``open`` for files under one directory, after half of the bytes
  are on disk (a file really half-written, which must not survive).

Every command fails with one line on stderr, an exit code other than 0 and no
traceback; the API answers with a JSON error; no temporary or partial file is
left, and a file that existed before is intact.
"""

from __future__ import annotations

import builtins
import ctypes
import errno
import io
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import CASES, ROOT
from reliability.fault_helpers import forget_chroma_clients, free_port, jixiao, jixiao_env
from retrieval.embedders import HashEmbedder
from retrieval.index import PrecedentIndex
from retrieval.search import SearchFilters
from retrieval.store import StoreError
from retrieval.vector_cache import VectorCache

SAMPLE = ROOT / "corpus" / "cases" / "sample_case.yaml"
REPORTS = ROOT / "corpus" / "reports"
PREVIOUS = b"previous version of the file, must survive"


# ── causing the fault ─────────────────────────────────────────────────────────
class HalfWritten:
    """A real file that takes half of the first write, then fails like a full or read-only disk."""

    def __init__(self, handle: Any, path: str, code: int) -> None:
        self._handle, self._path, self._code = handle, path, code

    def write(self, data: Any) -> int:
        self._handle.write(data[: max(1, len(data) // 2)])
        self._handle.flush()
        raise OSError(self._code, os.strerror(self._code), self._path)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __enter__(self) -> "HalfWritten":
        return self

    def __exit__(self, *exc: Any) -> None:
        self._handle.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


def fail_writes(monkeypatch: pytest.MonkeyPatch, under: Path, code: int, when: Callable[[Path], bool] = lambda path: True) -> list[str]:
    """Make every file opened for writing below ``under`` fail with ``code`` halfway through its first write."""
    real_open = builtins.open
    hits: list[str] = []

    def faulty_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        if isinstance(file, (str, os.PathLike)) and any(flag in mode for flag in "wax+"):
            path = Path(os.fspath(file)).resolve()
            if path.is_relative_to(under.resolve()) and when(path):
                hits.append(str(path))
                return HalfWritten(handle, str(path), code)
        return handle

    monkeypatch.setattr(builtins, "open", faulty_open)
    monkeypatch.setattr(io, "open", faulty_open)
    return hits


def run_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``jixiao ARGS`` in this process through the console entry point; (exit code, stderr)."""
    from jixiao.cli import main

    monkeypatch.setattr(sys, "argv", ["jixiao", *args])
    monkeypatch.delenv("JIXIAO_DEBUG", raising=False)
    with pytest.raises(SystemExit) as exit_:
        main()
    code = exit_.value.code
    return (code if isinstance(code, int) else (0 if code is None else 1)), capsys.readouterr().err


def assert_one_clear_line(code: int, err: str, *needles: str) -> None:
    assert code != 0
    assert "Traceback" not in err, err
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("错误："), err
    for needle in needles:
        assert needle in lines[0], (needle, err)


def leftovers(folder: Path) -> list[str]:
    """Temporary or partial files below ``folder``."""
    return sorted(p.name for p in folder.rglob("*") if p.name.endswith((".tmp", ".part", ".old")) or p.name.startswith("."))


CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, PR_CAPBSET_DROP = 1, 2, 3, 24


def unprivileged() -> None:
    """``preexec_fn``: as root, give up the capabilities that bypass file modes (uid stays 0)."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory the test's child processes cannot write to, even as root."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        probe = subprocess.run([sys.executable, "-c", f"open({str(folder / 'probe')!r}, 'w')"], preexec_fn=unprivileged, capture_output=True)
    except subprocess.SubprocessError:  # prctl refused: root without CAP_SETPCAP
        probe = None
    if probe is None or probe.returncode == 0:
        (folder / "probe").unlink(missing_ok=True)
        folder.chmod(0o755)
        pytest.skip("cannot make a directory read-only for a child process here (root without CAP_SETPCAP)")
    yield folder
    folder.chmod(0o755)


def child(*args: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = jixiao_env(**({"JIXIAO_HOME": str(home)} if home else {}))
    return subprocess.run(jixiao(*args), env=env, capture_output=True, text=True, timeout=180, preexec_fn=unprivileged)


# ── a read-only data directory, for real ──────────────────────────────────────
@pytest.mark.slow
def test_read_only_directories_for_real(read_only_dir: Path, tmp_path: Path) -> None:
    home = read_only_dir  # a fresh, empty, read-only data directory
    for args in (["ingest", str(REPORTS / "r01_zhengwuyun.md")], ["search", "资金拨付"], ["serve", "--port", str(free_port())]):
        run = child(*args, "--home", str(home))
        assert_one_clear_line(run.returncode, run.stderr, str(home))
    assert not any(home.iterdir()), "nothing was created in the read-only directory"

    run = child("score", str(SAMPLE), "--xlsx", str(read_only_dir / "评分表.xlsx"))
    assert_one_clear_line(run.returncode, run.stderr, str(read_only_dir / "评分表.xlsx"), "没有写入权限")
    run = child("draft", "problems", str(SAMPLE), "--no-precedents", "--out", str(read_only_dir / "草稿.docx"))
    assert_one_clear_line(run.returncode, run.stderr, str(read_only_dir / "草稿.docx"), "没有写入权限")
    assert not any(read_only_dir.iterdir())


# ── a full disk, for real: the temporary file is /dev/full ───────────────────
@pytest.mark.slow
@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("command", ["score", "draft"])
def test_disk_full_for_real_keeps_the_previous_file(tmp_path: Path, command: str) -> None:
    out = tmp_path / ("评分表.xlsx" if command == "score" else "草稿.docx")
    out.write_bytes(PREVIOUS)
    (tmp_path / f".{out.name}.tmp").symlink_to("/dev/full")  # where write_atomic writes before renaming
    args = ["score", str(SAMPLE), "--xlsx", str(out)] if command == "score" else ["draft", "problems", str(SAMPLE), "--no-precedents", "--out", str(out)]
    run = subprocess.run(jixiao(*args), env=jixiao_env(), capture_output=True, text=True, timeout=120)
    assert_one_clear_line(run.returncode, run.stderr, str(out), "磁盘已满")
    assert out.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name], "the temporary file is gone"


# ── ENOSPC / EROFS at the moment of writing, half the bytes on disk ──────────
FAULTS = [(errno.ENOSPC, "磁盘已满"), (errno.EROFS, "文件系统只读")]


@pytest.mark.parametrize(("code", "says"), FAULTS, ids=["ENOSPC", "EROFS"])
def test_score_xlsx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], code: int, says: str) -> None:
    out = tmp_path / "评分表.xlsx"
    out.write_bytes(PREVIOUS)
    hits = fail_writes(monkeypatch, tmp_path, code)
    exit_code, err = run_main(monkeypatch, capsys, "score", str(SAMPLE), "--xlsx", str(out))
    assert hits, "the fault was really hit"
    assert_one_clear_line(exit_code, err, str(out), says)
    assert out.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]

    out.unlink()
    exit_code, err = run_main(monkeypatch, capsys, "score", str(SAMPLE), "--xlsx", str(out))
    assert_one_clear_line(exit_code, err, str(out), says)
    assert not list(tmp_path.iterdir()), "no half-written file where there was none"


@pytest.mark.parametrize(("code", "says"), FAULTS, ids=["ENOSPC", "EROFS"])
@pytest.mark.parametrize("suffix", [".docx", ".md"])
def test_draft_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], code: int, says: str, suffix: str) -> None:
    out = tmp_path / f"草稿{suffix}"
    out.write_bytes(PREVIOUS)
    hits = fail_writes(monkeypatch, tmp_path, code)
    exit_code, err = run_main(monkeypatch, capsys, "draft", "problems", str(CASES / "seed_004.yaml"), "--no-precedents", "--out", str(out))
    assert hits
    assert_one_clear_line(exit_code, err, str(out), says)
    assert out.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


def _index(home: Path) -> PrecedentIndex:
    forget_chroma_clients()
    return PrecedentIndex(home, HashEmbedder())


def test_keyword_index_save(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The keyword postings are a cache of Chroma's chunks: a full disk leaves the stored ones intact, and search still works."""
    home = tmp_path / "home"
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "r01_zhengwuyun.md").write_bytes((REPORTS / "r01_zhengwuyun.md").read_bytes())
    index = _index(home)
    index.ingest([folder])
    saved = index.keyword.postings.versions()
    generation = index.keyword.generation()

    (folder / "r06_xueliang.md").write_bytes((REPORTS / "r06_xueliang.md").read_bytes())
    db = index.keyword.postings._db
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0]}")  # a real SQLITE_FULL
    with caplog.at_level(logging.WARNING, logger="retrieval.keyword_live"):
        report = index.ingest([folder])
        assert report.added == ["r06_xueliang"], "the documents are committed; only the cache could not be saved"
        assert index.search("视频监控 在线率", k=3, filters=SearchFilters(doc_ids=["r06_xueliang"])), "search goes on from memory"
    assert any("关键词索引无法保存" in record.getMessage() and str(home / "keyword.sqlite3") in record.getMessage() for record in caplog.records)
    assert index.keyword.postings.versions() == saved and index.keyword.generation() == generation, "the stored postings are intact"

    reopened = _index(home)  # a restart rebuilds from Chroma what the full disk did not keep, and stores it
    assert reopened.search("视频监控 在线率", k=3, filters=SearchFilters(doc_ids=["r06_xueliang"]))
    assert sorted(reopened.catalog()) == ["r01_zhengwuyun", "r06_xueliang"]
    assert sorted(reopened.keyword.postings.versions()) == ["r01_zhengwuyun", "r06_xueliang"]


def _pin_size(cache: VectorCache) -> None:
    """A real SQLITE_FULL: the cache may not grow beyond its current pages."""
    pages = cache._db.execute("PRAGMA page_count").fetchone()[0]
    cache._db.execute(f"PRAGMA max_page_count = {pages}")


def test_vector_cache_full(tmp_path: Path) -> None:
    home = tmp_path / "home"
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "r02_dengbao.md").write_bytes((REPORTS / "r02_dengbao.md").read_bytes())
    index = _index(home)
    index.ingest([folder])
    before = index.embedder.cache.count(HashEmbedder.name)
    (folder / "r03_jiaoyu.md").write_bytes((REPORTS / "r03_jiaoyu.md").read_bytes())

    _pin_size(index.embedder.cache)
    with pytest.raises(StoreError) as failure:
        index.ingest([folder])
    assert str(home / "vectors.sqlite3") in str(failure.value) and "磁盘已满" in str(failure.value)
    assert index.embedder.cache.count(HashEmbedder.name) == before, "all of a batch or none"
    with closing(sqlite3.connect(home / "vectors.sqlite3")) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reopened = _index(home)
    assert sorted(reopened.catalog()) == ["r02_dengbao"], "the document being ingested is absent, not half present"
    assert not reopened.search("智慧教育", k=3, filters=SearchFilters(doc_ids=["r03_jiaoyu"]))
    assert reopened.ingest([folder]).added == ["r03_jiaoyu"]


def test_vector_cache_full_on_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    opened = VectorCache.__init__

    def pinned(self: VectorCache, path: Path) -> None:
        opened(self, path)
        _pin_size(self)

    monkeypatch.setattr(VectorCache, "__init__", pinned)
    monkeypatch.setenv("JIXIAO_EMBEDDER", "hash")
    forget_chroma_clients()
    home = tmp_path / "home"
    code, err = run_main(monkeypatch, capsys, "ingest", str(REPORTS / "r04_yiliao.md"), "--home", str(home))
    assert_one_clear_line(code, err, str(home / "vectors.sqlite3"), "磁盘已满")
    monkeypatch.undo()
    assert not _index(home).catalog()


@pytest.mark.parametrize(("code", "status"), [(errno.ENOSPC, 507), (errno.EROFS, 507)], ids=["ENOSPC", "EROFS"])
def test_api_upload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, status: int) -> None:
    from api.app import create_app
    from core.settings import load_settings

    home = tmp_path / "home"
    index = _index(home)
    client = TestClient(create_app(load_settings(home=home), index=index))
    data = (REPORTS / "r05_shuzizhengfu.md").read_bytes()

    hits = fail_writes(monkeypatch, home / "uploads", code)
    response = client.post("/v1/documents", files={"file": ("r05_shuzizhengfu.md", data, "text/markdown")})
    assert hits
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == "insufficient_storage" and "磁盘已满或只读" in error["message"] and error["field"] == "file"
    assert not [p for p in (home / "uploads").rglob("*") if p.is_file()], "no partial upload is left"
    assert "r05_shuzizhengfu" not in index.catalog()

    monkeypatch.undo()
    response = client.post("/v1/documents", files={"file": ("r05_shuzizhengfu.md", data, "text/markdown")})
    assert response.status_code == 201, response.text


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_api_upload_disk_full_for_real(tmp_path: Path) -> None:
    from api.app import create_app
    from core.settings import load_settings

    home = tmp_path / "home"
    client = TestClient(create_app(load_settings(home=home), index=_index(home)))
    folder = home / "uploads" / "local"
    folder.mkdir(parents=True)
    (folder / ".r05_shuzizhengfu.md.part").symlink_to("/dev/full")
    response = client.post("/v1/documents", files={"file": ("r05_shuzizhengfu.md", (REPORTS / "r05_shuzizhengfu.md").read_bytes(), "text/markdown")})
    assert response.status_code == 507 and response.json()["error"]["code"] == "insufficient_storage", response.text
    assert not list(folder.iterdir())
