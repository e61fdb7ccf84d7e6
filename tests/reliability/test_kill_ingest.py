"""``kill -9`` of a real ``python -m jixiao ingest`` process, at chosen points and at random ones.

Fifteen corpus files (12 reports, 3 policies). Some runs ingest them into a
fresh data directory (documents being added), others ingest the same folder
with eight of the files changed into a copy of a complete index (documents
being replaced, the path where the old generation must stay live until the new
one is committed, and the unchanged documents must not be touched).

Six kills land at chosen points, one for each phase of an ingest where a crash
leaves a different state behind (tests/reliability/kill_at.py runs the CLI and
sends itself SIGKILL there, so the process dies as under an outside ``kill -9``):

- adding: after the 8th document's vectors are written and before its catalog
  commit (7 documents live, orphan chunks left); right after the 8th catalog
  commit (8 live, nothing stale); before the keyword postings are written
  (every document committed, no postings of the run stored: search rebuilds
  them from the vector store's chunks);
- replacing: after the 4th changed document's new vectors are written, before
  its commit (its old generation must still be the one found); right after
  the 4th commit, before the old generation is dropped (old chunks stale and
  invisible); before the keyword postings are written (the stored postings are
  the previous generations', which search must not serve for the new ones).

Four more kills (two per kind) land after a delay drawn from the measured
duration of an uninterrupted run, one in each half of it (shuffled), for what
a chosen point cannot reach: inside Chroma's own writes, start-up, embedding.
Twenty random kills used to be made; the strata that mattered are the phases
above, now hit every time instead of by chance. After every kill:

- the index opens;
- every catalogued document has exactly its recorded number of chunks of its
  live generation, with the texts of that version, and is found by search;
- a document that is not catalogued is not found by search (no half document),
  and when replacing, every document is still there, old or new, never absent;
- a kill at a chosen point left exactly the state of that phase (which documents
  are live, whether stale chunks are left, which keyword postings are stored);
- a re-run completes everything and drops the leftovers of the killed run.

A random run that finishes before its kill (faster than the measured run) does
not count: it is replaced by one with a delay drawn below the duration just
seen, until 4 processes have really been killed. Set ``JIXIAO_KILL_SEED`` to
replay a sequence of delays (timing still varies).
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import ROOT
from reliability.fault_helpers import forget_chroma_clients, jixiao, jixiao_env
from retrieval.chunking import chunk_document
from retrieval.embedders import HashEmbedder
from retrieval.index import PIPELINE_VERSION, PrecedentIndex
from retrieval.loaders import load_document
from retrieval.search import SearchFilters

RANDOM_RUNS = 4
KILL_AT = Path(__file__).with_name("kill_at.py")
#: (kind of run, kill point, nth call) for the chosen kills; see kill_at.py.
PHASES = [
    ("add", "after-vectors", 8),
    ("add", "after-commit", 8),
    ("add", "keyword-write", 1),
    ("update", "after-vectors", 4),
    ("update", "after-commit", 4),
    ("update", "keyword-write", 1),
]
FILES = sorted((ROOT / "corpus" / "reports").glob("r*.md")) + sorted((ROOT / "corpus" / "policies").glob("*.md"))
DOC_IDS = {path.stem for path in FILES}
ADDENDUM = "\n\n## 九、复核补记\n\n复核组补记（{doc}）：本段为中断测试新增，资金拨付进度与合同履约情况已逐项复核，独角兽{n}号。\n"


@dataclass(frozen=True)
class Version:
    generation: str
    texts: list[str]


def versions_of(folder: Path) -> dict[str, Version]:
    """What an ingest of ``folder`` must produce, computed without the index: generation and chunk texts per document."""
    embedder_name = HashEmbedder.name
    found = {}
    for path in sorted(folder.iterdir()):
        raw = path.read_bytes()
        generation = hashlib.sha256(raw + PIPELINE_VERSION.encode() + embedder_name.encode()).hexdigest()[:12]
        found[path.stem] = Version(generation, [chunk.text for chunk in chunk_document(load_document(path))])
    return found


def run_ingest(folder: Path, home: Path, point: tuple[str, int] | None = None) -> subprocess.Popen:
    args = ("ingest", str(folder), "--home", str(home))
    command = jixiao(*args) if point is None else [sys.executable, str(KILL_AT), point[0], str(point[1]), *args]
    return subprocess.Popen(command, env=jixiao_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def timed_ingest(folder: Path, home: Path) -> float:
    started = time.monotonic()
    process = run_ingest(folder, home)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode(errors="replace")
    return time.monotonic() - started


@dataclass
class State:
    documents: int
    new: int  # documents the run had to write that are at the target version
    stale: int  # chunks of no live generation (invisible leftovers)


def check_index(home: Path, allowed: dict[str, set[str]], versions: dict[str, Version], must_have_all: bool, kind: str) -> tuple[PrecedentIndex, State]:
    """Open ``home`` and check every invariant; ``allowed`` maps doc id → generations it may be at."""
    index = PrecedentIndex(home, HashEmbedder())
    catalog = index.catalog()
    assert set(catalog) <= DOC_IDS, f"unknown documents in the catalog: {set(catalog) - DOC_IDS}"
    if must_have_all:
        assert set(catalog) == DOC_IDS, f"documents lost while being replaced: {DOC_IDS - set(catalog)}"

    by_generation: dict[tuple[str, str], dict[int, str]] = defaultdict(dict)
    stale = 0
    for ids, metas, texts in index.store.iter_chunks():
        for chunk_id, meta, text in zip(ids, metas, texts):
            record = catalog.get(meta["doc_id"])
            if record is not None and record.generation == meta["gen"]:
                assert meta["ordinal"] not in by_generation[(meta["doc_id"], meta["gen"])], f"duplicate chunk {chunk_id}"
                by_generation[(meta["doc_id"], meta["gen"])][meta["ordinal"]] = text
            else:
                stale += 1

    new = 0
    for doc_id, record in catalog.items():
        assert record.generation in allowed[doc_id], f"{doc_id} is at an unexpected generation {record.generation}"
        version = versions[record.generation]
        live = by_generation[(doc_id, record.generation)]
        assert record.chunks == len(version.texts), f"{doc_id}: catalog says {record.chunks} chunks, the file has {len(version.texts)}"
        assert sorted(live) == list(range(len(version.texts))), f"{doc_id}: live chunks {sorted(live)} of {len(version.texts)}"
        assert [live[i] for i in range(len(live))] == version.texts, f"{doc_id}: live chunk texts differ from the file"
        passage = index.passage(doc_id, 0)
        assert passage is not None and passage.text == version.texts[0]
        new += doc_id in WRITTEN[kind] and record.generation == TARGETS[kind][doc_id]

    for doc_id in DOC_IDS:
        probe = QUERIES[doc_id]
        hits = index.search(probe, k=3, filters=SearchFilters(doc_ids=[doc_id]), mode="keyword")
        if doc_id in catalog:
            assert hits, f"{doc_id} is catalogued but its text is not found"
            assert all(hit.chunk_id.split("@")[1].split("#")[0] == catalog[doc_id].generation for hit in hits), f"{doc_id}: a stale chunk is visible"
        else:
            assert not hits, f"{doc_id} is not catalogued but {len(hits)} of its chunks are visible"
    every = index.search("资金拨付 合同管理 绩效目标", k=20)
    assert all(hit.doc_id in catalog and hit.chunk_id.split("@")[1].split("#")[0] == catalog[hit.doc_id].generation for hit in every)
    return index, State(len(catalog), new, stale)


QUERIES: dict[str, str] = {}
TARGETS: dict[str, dict[str, str]] = {}  # kind of run → doc id → generation a complete run leaves
WRITTEN: dict[str, set[str]] = {}  # kind of run → documents it has to write


@pytest.mark.slow
def test_kill_dash_nine_during_ingest_never_leaves_half_a_document(tmp_path: Path) -> None:
    seed = int(os.environ.get("JIXIAO_KILL_SEED") or random.SystemRandom().randrange(2**32))
    print(f"\nkill -9 ingest: JIXIAO_KILL_SEED={seed}")
    rng = random.Random(seed)

    original, changed = tmp_path / "v1", tmp_path / "v2"
    original.mkdir()
    changed.mkdir()
    for n, path in enumerate(FILES):
        shutil.copy(path, original / path.name)
        if n % 2 == 0:
            (changed / path.name).write_text(path.read_text(encoding="utf-8") + ADDENDUM.format(doc=path.stem, n=n), encoding="utf-8")
        else:
            shutil.copy(path, changed / path.name)
    v1, v2 = versions_of(original), versions_of(changed)
    versions = {version.generation: version for version in (*v1.values(), *v2.values())}
    assert all(len(v2[d].texts) >= len(v1[d].texts) for d in DOC_IDS) and any(v2[d].texts != v1[d].texts for d in DOC_IDS)
    for doc_id, version in v1.items():
        QUERIES[doc_id] = max(version.texts, key=len)[:48]
    TARGETS["add"] = {d: v1[d].generation for d in DOC_IDS}
    TARGETS["update"] = {d: v2[d].generation for d in DOC_IDS}
    WRITTEN["add"] = set(DOC_IDS)
    WRITTEN["update"] = {d for d in DOC_IDS if v2[d].generation != v1[d].generation}
    assert len(WRITTEN["update"]) == 8

    # Uninterrupted runs: the durations the kill delays are drawn from, and the base for the replacement runs.
    base = tmp_path / "base"
    durations = {"add": timed_ingest(original, base)}
    index, state = check_index(base, {d: {v1[d].generation} for d in DOC_IDS}, versions, True, "add")
    assert state.new == len(WRITTEN["add"]) and state.stale == 0
    index.embedder.cache.close()
    forget_chroma_clients()
    reference = tmp_path / "reference-update"
    shutil.copytree(base, reference)
    durations["update"] = timed_ingest(changed, reference)
    index, state = check_index(reference, {d: {v2[d].generation} for d in DOC_IDS}, versions, True, "update")
    assert state.new == len(WRITTEN["update"]) and state.stale == 0, "replacing documents must leave exactly the new generations"
    index.embedder.cache.close()
    forget_chroma_clients()
    print(f"uninterrupted: add {durations['add']:.2f} s, update {durations['update']:.2f} s; {len(FILES)} files, {sum(len(v.texts) for v in v1.values())} chunks")

    # Chosen points first in the plan's pool, random delays beside them, all in a shuffled order.
    plan: list[tuple[str, float, tuple[str, int] | None]] = [(kind, 0.0, (point, nth)) for kind, point, nth in PHASES]
    for kind in ("add", "update"):
        runs = RANDOM_RUNS // 2
        plan.extend((kind, durations[kind] * (i + rng.random()) / runs, None) for i in range(runs))
    rng.shuffle(plan)

    rows = []
    started = time.monotonic()
    number = finished = 0
    while plan:
        kind, delay, point = plan.pop(0)
        home = tmp_path / f"run{number:02d}"
        folder = original if kind == "add" else changed
        if kind == "update":
            shutil.copytree(base, home)
        launched = time.monotonic()
        process = run_ingest(folder, home, point)
        if point is not None:
            _, err = process.communicate(timeout=120)
            assert process.returncode == -signal.SIGKILL, f"{kind} run to be killed at {point} exited {process.returncode}: {err.decode(errors='replace')[-2000:]}"
            killed = True
            check_phase_files(home, kind, point[0])
        else:
            try:
                process.wait(timeout=max(0.0, delay - (time.monotonic() - launched)))
                killed = False
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                killed = True
            took = time.monotonic() - launched
            process.communicate(timeout=60)
            if not killed:
                # Faster than the measured run (that one paid for cold caches): it is not a kill, so
                # draw again for this kind of run, below the duration just seen.
                assert process.returncode == 0
                durations[kind] = min(durations[kind], took)
                finished += 1
                assert finished < 2 * RANDOM_RUNS, f"too many runs finished before their kill (seed {seed})"
                plan.append((kind, durations[kind] * rng.random(), None))

        allowed = {d: {v1[d].generation} if kind == "add" else {v1[d].generation, v2[d].generation} for d in DOC_IDS}
        index, after_kill = check_index(home, allowed, versions, must_have_all=kind == "update", kind=kind)
        if point is not None:
            check_phase_state(after_kill, kind, *point)

        rerun_started = time.monotonic()
        report = index.ingest([folder])
        rerun = time.monotonic() - rerun_started
        assert not report.failed
        assert sorted(report.added + report.updated + report.unchanged) == sorted(DOC_IDS)
        index.embedder.cache.close()
        forget_chroma_clients()
        index, final = check_index(home, {d: {TARGETS[kind][d]} for d in DOC_IDS}, versions, True, kind)
        assert final.new == len(WRITTEN[kind]) and final.stale == 0, "a re-run completes every document and drops the killed run's leftovers"
        index.embedder.cache.close()
        forget_chroma_clients()
        rows.append((number, kind, point[0] if point else f"{delay:.2f} s", killed, after_kill, rerun))
        number += 1

    print(f"{'run':>3} {'kind':<6} {'kill at':<13} {'outcome':<9} {'docs':>4} {'written':>7} {'stale':>5} {'re-run s':>8}")
    for number, kind, at, killed, state, rerun in rows:
        print(f"{number:>3} {kind:<6} {at:<13} {'killed' if killed else 'finished':<9} {state.documents:>4} {state.new:>7} {state.stale:>5} {rerun:8.2f}")
    random_kills = [row for row in rows if row[3] and row[2].endswith(" s")]
    midway = [row for row in random_kills if 0 < row[4].new < len(WRITTEN[row[1]]) or row[4].stale]
    print(f"{len(rows)} runs in {time.monotonic() - started:.1f} s: {len(PHASES)} killed at chosen points, {len(random_kills)} at random delays "
          f"({len(midway)} of those mid-write); seed {seed}")
    assert len(random_kills) == RANDOM_RUNS
    assert len(rows) - finished == len(PHASES) + RANDOM_RUNS


def check_phase_files(home: Path, kind: str, point: str) -> None:
    """What a kill before the keyword postings are written leaves on disk (read before anything reopens the index)."""
    if point != "keyword-write":
        return
    postings = home / "keyword.sqlite3"
    stored: dict[str, str] = {}
    if postings.exists():
        with sqlite3.connect(postings) as db:
            stored = dict(db.execute("SELECT doc_id, gen FROM docs"))
    # nothing of this run's: an added library has no postings yet, a replaced one only its previous generations
    assert (stored == {}) if kind == "add" else (set(stored) == set(DOC_IDS)), stored


def check_phase_state(state: State, kind: str, point: str, nth: int) -> None:
    """The documents a kill at ``point`` (the ``nth`` write or commit) must leave live, and whether leftovers remain."""
    if point == "after-vectors":  # the nth document written, not committed: nth - 1 live at the target version, orphans left
        assert state.new == nth - 1 and state.stale > 0, state
        assert state.documents == (nth - 1 if kind == "add" else len(DOC_IDS)), state
    elif point == "after-commit":  # nth committed; when replacing, its old generation is not yet dropped
        assert state.new == nth and (state.stale > 0) == (kind == "update"), state
        assert state.documents == (nth if kind == "add" else len(DOC_IDS)), state
    else:  # keyword-write: every document committed, every old generation dropped
        assert state.new == len(WRITTEN[kind]) and state.stale == 0 and state.documents == len(DOC_IDS), state


def test_replacing_one_document_keeps_every_other_document(tmp_path: Path) -> None:
    """Regression: committing a changed document used to delete the chunks of every other document."""
    folder = tmp_path / "docs"
    folder.mkdir()
    for path in FILES[:3]:
        shutil.copy(path, folder / path.name)
    index = PrecedentIndex(tmp_path / "home", HashEmbedder())
    index.ingest([folder])
    before = {doc_id: record.chunks for doc_id, record in index.catalog().items()}
    changed = folder / FILES[0].name
    changed.write_text(changed.read_text(encoding="utf-8") + ADDENDUM.format(doc="x", n=1), encoding="utf-8")
    assert index.ingest([folder]).updated == [FILES[0].stem]
    live: dict[str, int] = defaultdict(int)
    catalog = index.catalog()
    for _, metas, _ in index.store.iter_chunks(include_documents=False):
        for meta in metas:
            assert meta["gen"] == catalog[meta["doc_id"]].generation
            live[meta["doc_id"]] += 1
    assert {doc_id: record.chunks for doc_id, record in catalog.items()} == dict(live)
    for path in FILES[1:3]:
        assert live[path.stem] == before[path.stem]
        assert index.search("绩效", k=2, filters=SearchFilters(doc_ids=[path.stem]), mode="keyword")
