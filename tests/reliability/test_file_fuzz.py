"""Bad files to ingest (issue 8, "Bad input"): random and mutated bytes, zip bombs, 100 MB files, wrong encodings, empty files.

``load_document`` either returns a document whose blocks point into its text,
or raises :class:`LoadError` with a reason in Chinese, never anything else.
``PrecedentIndex.ingest`` lists every bad file in ``failed`` and keeps the
documents it had, including one whose id a bad file shares.
"""

from __future__ import annotations

import io
import re
import struct
import time
import tracemalloc
import zipfile
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ROOT, make_pdf
from retrieval.embedders import HashEmbedder
from retrieval.index import PrecedentIndex
from retrieval.loaders import LoadError, load_document
from retrieval.models import LoadedDocument

EXTENSIONS = [".docx", ".pdf", ".txt", ".md"]
CHINESE = re.compile(r"[\u4e00-\u9fff]")
MB = 1024 * 1024
TEXT = "一、項目基本情況\n本項目資金撥付不及時，合同管理不規範。建議加強預算管理。\n"  # traditional: Big5 can encode it


def outcome(path: Path, seconds: float = 10) -> LoadedDocument | LoadError:
    """load_document, timed in CPU seconds (a shared machine's load does not count, inflating a bomb would);
    a LoadError must carry a Chinese reason, a document consistent offsets."""
    started = time.process_time()
    try:
        document = load_document(path)
    except LoadError as exc:
        assert CHINESE.search(exc.reason), exc.reason
        result: LoadedDocument | LoadError = exc
    else:
        assert document.blocks and all(document.text[b.start:b.end] == b.text and b.text.strip() for b in document.blocks)
        result = document
    assert time.process_time() - started < seconds, path.name
    return result


def docx_bytes() -> bytes:
    document = docx.Document()
    document.add_paragraph("2023年测试市某项目绩效评价报告", style="Title")
    document.add_paragraph("六、存在的问题", style="Heading 1")
    document.add_paragraph("资金拨付不及时，合同管理不规范。")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(1, 1).text = "指标", "2"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


VALID = {".docx": docx_bytes(), ".pdf": make_pdf(["Budget execution 95%", "Contract paid late"]), ".txt": TEXT.encode("utf-8"), ".md": f"# 标题\n\n{TEXT}".encode("utf-8")}
STATS: dict[str, int] = {"random": 0, "mutated": 0, "documents": 0, "errors": 0}


def tally(result: object, kind: str) -> None:
    STATS[kind] += 1
    STATS["documents" if isinstance(result, LoadedDocument) else "errors"] += 1


# ── random and mutated bytes ──────────────────────────────────────────────────
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.binary(max_size=4096), ext=st.sampled_from(EXTENSIONS))
def test_random_bytes_with_report_extensions(tmp_path: Path, data: bytes, ext: str) -> None:
    path = tmp_path / f"random{ext}"
    path.write_bytes(data)
    tally(outcome(path), "random")


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    ext = draw(st.sampled_from(EXTENSIONS))
    data = bytearray(VALID[ext])
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif kind == "delete":
            del data[at:at + draw(st.integers(1, 256))]
    return ext, bytes(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sample=mutated())
def test_mutated_valid_files(tmp_path: Path, sample: tuple[str, bytes]) -> None:
    ext, data = sample
    path = tmp_path / f"mutated{ext}"
    path.write_bytes(data)
    tally(outcome(path), "mutated")


def test_fuzz_saw_documents_and_errors() -> None:
    if not STATS["random"] or not STATS["mutated"]:
        pytest.skip("run together with the two properties above")
    print(f"file fuzz: {STATS}")
    assert STATS["documents"] >= 20 and STATS["errors"] >= 100, STATS


# ── zip bombs, built in memory ────────────────────────────────────────────────
def zip_with(members: dict[str, bytes], stream: tuple[str, int] | None = None) -> bytes:
    """A zip of ``members``, plus optionally one member of ``size`` zero bytes written in 1 MB pieces."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        if stream is not None:
            name, size = stream
            piece = b"\0" * MB
            with archive.open(name, "w") as handle:
                for _ in range(size // MB):
                    handle.write(piece)
    return buffer.getvalue()


def understate(data: bytes, name: str, fake_size: int) -> bytes:
    """Rewrite the uncompressed size of ``name`` in the local and central headers: a zip that lies."""
    out = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    struct.pack_into("<I", out, info.header_offset + 22, fake_size)  # local file header
    encoded = name.encode()
    at = out.find(b"PK\x01\x02")  # the central directory's entries
    while at >= 0:
        name_length = struct.unpack_from("<H", out, at + 28)[0]
        if bytes(out[at + 46:at + 46 + name_length]) == encoded:
            struct.pack_into("<I", out, at + 24, fake_size)
            return bytes(out)
        at = out.find(b"PK\x01\x02", at + 4)
    raise AssertionError(name)


@pytest.fixture(scope="module")
def bombs() -> dict[str, bytes]:
    parts = {item.filename: zipfile.ZipFile(io.BytesIO(VALID[".docx"])).read(item) for item in zipfile.ZipFile(io.BytesIO(VALID[".docx"])).infolist()}
    document_xml = parts.pop("word/document.xml")
    over_200 = zip_with(parts, ("word/document.xml", 210 * MB))
    return {
        "over_200mb": over_200,
        "padding_member": zip_with({**parts, "word/document.xml": document_xml}, ("word/media/pad.bin", 210 * MB)),
        "lying_header": understate(over_200, "word/document.xml", len(document_xml)),
        "many_members": zip_with({**parts, "word/document.xml": document_xml, **{f"customXml/{i}.xml": b"" for i in range(10_001)}}),
    }


@pytest.mark.slow
@pytest.mark.parametrize("name, reason", [
    ("over_200mb", "疑似压缩炸弹"),
    ("padding_member", "疑似压缩炸弹"),
    ("lying_header", "与声明的大小不符"),  # declares a few KB for 210 MB: inflated in bounded pieces, the CRC exposes it
    ("many_members", "文件数"),
])
def test_zip_bomb_docx_is_refused_without_inflating(tmp_path: Path, bombs: dict[str, bytes], name: str, reason: str) -> None:
    data = bombs[name]
    assert len(data) < 2 * MB  # what arrives is small
    path = tmp_path / f"{name}.docx"
    path.write_bytes(data)
    tracemalloc.start()
    try:
        result = outcome(path, seconds=5)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(result, LoadError), name
    assert reason in result.reason, result.reason
    assert peak < 64 * MB, f"{name}: {peak / MB:.0f} MB allocated while refusing it"


# ── size, encodings, emptiness ────────────────────────────────────────────────
def sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as handle:
        handle.truncate(size)  # no blocks written: costs no disk
    return path


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_100_mb_file_is_refused_by_size(tmp_path: Path, ext: str) -> None:
    result = outcome(sparse(tmp_path / f"huge{ext}", 100 * MB))
    assert isinstance(result, LoadError) and "100.0 MB" in result.reason and "超过上限" in result.reason


@pytest.mark.parametrize("ext", EXTENSIONS)
def test_empty_file(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"empty{ext}"
    path.write_bytes(b"")
    result = outcome(path)
    assert isinstance(result, LoadError) and "文件为空" in result.reason


ENCODED = {
    "gbk": (TEXT.encode("gbk"), TEXT),
    "gb18030_md": (f"# 六、存在的问题\n\n{TEXT}".encode("gb18030"), None),
    "utf16_bom": (TEXT.encode("utf-16"), TEXT),
    "utf16be_bom": (b"\xfe\xff" + TEXT.encode("utf-16-be"), TEXT),
    "utf8_bom": (TEXT.encode("utf-8-sig"), TEXT),
    "big5": (TEXT.encode("big5") * 3, "refused"),
    "utf16_no_bom": (TEXT.encode("utf-16-le"), "refused"),
    "latin1_garbage": (bytes(range(0x80, 0x100)) * 8, "refused"),
    "utf8_bom_then_garbage": (b"\xef\xbb\xbf" + b"\xff\xfe\xfd" * 50, "refused"),
    "utf16_bom_odd_bytes": (b"\xff\xfe" + "一二三".encode("utf-16-le") + b"\x00", "refused"),
    "shift_jis": ("評価報告書の結論として、予算の執行状況は良好である。".encode("shift_jis") * 3, None),
}


@pytest.mark.parametrize("name", sorted(ENCODED))
@pytest.mark.parametrize("ext", [".txt", ".md"])
def test_wrong_or_unusual_encodings(tmp_path: Path, name: str, ext: str) -> None:
    data, expected = ENCODED[name]
    path = tmp_path / f"{name}{ext}"
    path.write_bytes(data)
    result = outcome(path)
    if expected == "refused":
        assert isinstance(result, LoadError), f"{name}: read as {result.text[:40]!r}"  # type: ignore[union-attr]
    elif expected is not None:
        assert isinstance(result, LoadedDocument) and result.text.replace("\n", "") == expected.replace("\n", ""), name
    if isinstance(result, LoadedDocument):  # whatever was accepted is not private-use mojibake
        assert not re.search(r"[\ue000-\uf8ff]{2}", result.text), (name, result.text[:40])


# ── ingest: bad files are reported, the index keeps what it had ──────────────
@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> PrecedentIndex:
    index = PrecedentIndex(tmp_path_factory.mktemp("fuzz-home"), HashEmbedder())
    report = index.ingest([ROOT / "corpus" / "reports", ROOT / "corpus" / "policies"])
    assert not report.failed and len(report.added) == 15
    return index


def bad_files(folder: Path, bombs: dict[str, bytes]) -> list[Path]:
    folder.mkdir()
    files = {
        "empty.txt": b"",
        "empty.docx": b"",
        "empty.pdf": b"",
        "random.docx": bytes(range(256)) * 4,
        "random.pdf": b"%PDF-1.4\n" + bytes(range(256)) * 4,
        "big5.txt": TEXT.encode("big5") * 3,
        "latin1.md": bytes(range(0x80, 0x100)) * 8,
        "bomb.docx": bombs["over_200mb"],
        "lying.docx": bombs["lying_header"],
        "r01_zhengwuyun.md": b"",  # same document id as a bundled report: that report must survive
        "r02_dengbao.docx": b"PK\x03\x04 not really a zip",
    }
    paths = []
    for name, data in files.items():
        path = folder / name
        path.write_bytes(data)
        paths.append(path)
    paths.append(sparse(folder / "huge.pdf", 100 * MB))
    return paths


def snapshot(index: PrecedentIndex) -> dict[str, tuple[str, int, str]]:
    return {doc_id: (record.generation, record.chunks, record.content_hash) for doc_id, record in index.catalog().items()}


@pytest.mark.slow
def test_ingest_reports_bad_files_and_keeps_the_index(tmp_path: Path, index: PrecedentIndex, bombs: dict[str, bytes]) -> None:
    before = snapshot(index)
    hits_before = [hit.chunk_id for hit in index.search("资金拨付不及时", k=5)]
    paths = bad_files(tmp_path / "bad", bombs)
    tracemalloc.start()
    try:
        report = index.ingest([tmp_path / "bad"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    failed = dict(report.failed)
    assert set(failed) == {str(path) for path in paths}, report
    assert all(CHINESE.search(reason) for reason in failed.values())
    assert "超过上限" in failed[str(tmp_path / "bad" / "huge.pdf")]
    assert not report.added and not report.updated and not report.removed
    assert snapshot(index) == before  # nothing lost, nothing half-added
    assert [hit.chunk_id for hit in index.search("资金拨付不及时", k=5)] == hits_before
    assert index.passage("r01_zhengwuyun", 0) is not None
    assert peak < 64 * MB, f"ingest allocated {peak / MB:.0f} MB for files it refused"  # the 100 MB file is not read
    reopened = PrecedentIndex(index.home, HashEmbedder())
    assert snapshot(reopened) == before
