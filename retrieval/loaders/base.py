"""The loader registry, the one error loaders raise, and what every format shares.

A loader is a function ``(path, data) -> LoadedDocument`` declared for one or
more file extensions with :func:`register_loader` (built-ins) or registered as
a :class:`LoaderSpec` through the ``register_loaders`` plugin hook (third
parties; a later registration for an extension overrides an earlier one).
:func:`load_bytes` does the checks every format needs (size, emptiness) before
dispatching, and turns any failure inside a loader into a :class:`LoadError`,
so callers only ever catch one exception type; :func:`load_document` reads a
file and hands its bytes to it. The API and the checker load uploads from
bytes, so nothing writes a temporary file to read it back.

Also here: :class:`TextBuilder` for loaders that assemble their text from
pieces (docx, pdf), :func:`strip_debris` for the markup that document exports
leave behind, and :func:`build_meta`, which derives title, year, region, kind
and project the same way for every format.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.plugins import Registry
from retrieval.models import Block, BlockKind, DocumentKind, DocumentMeta, LoadedDocument

Loader = Callable[[Path, bytes], LoadedDocument]
"""Turns a file's bytes into a document; raises :class:`LoadError` for bad input."""

DEFAULT_MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class LoaderSpec:
    """A loader and the extensions it reads (lower case, with the dot)."""

    name: str
    extensions: tuple[str, ...]
    load: Loader


#: The built-in loaders, declared by :func:`register_loader` in their modules.
BUILTIN_LOADERS: list[LoaderSpec] = []

#: Every loader by name: the built-ins and those of installed plugins.
LOADERS: Registry[LoaderSpec] = Registry("register_loaders", "文件读取器", builtins=("retrieval.loaders",))


class LoadError(Exception):
    """A file that cannot be read; ``reason`` says why, in Chinese, for the user."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")

    def __reduce__(self) -> tuple[type[LoadError], tuple[Path, str]]:
        # The default reduce would call LoadError(message) and lose ``reason``.
        return (type(self), (self.path, self.reason))


def _normalize_extension(extension: str) -> str:
    ext = extension.strip().lower()
    if not ext or ext == ".":
        raise ValueError("extension must not be empty")
    return ext if ext.startswith(".") else f".{ext}"


def register_loader(*extensions: str) -> Callable[[Loader], Loader]:
    """Declare the decorated function as the built-in loader for ``extensions`` (``".docx"`` or ``"docx"``)."""
    if not extensions:
        raise ValueError("register_loader needs at least one extension")
    normalized = tuple(_normalize_extension(ext) for ext in extensions)

    def decorator(loader: Loader) -> Loader:
        BUILTIN_LOADERS.append(LoaderSpec(name=normalized[0].lstrip("."), extensions=normalized, load=loader))
        return loader

    return decorator


def loaders_by_extension() -> dict[str, Loader]:
    """Extension → loader; a plugin registered later overrides a built-in for the same extension."""
    table: dict[str, Loader] = {}
    for spec in LOADERS.values():
        for ext in spec.extensions:
            table[_normalize_extension(ext)] = spec.load
    return table


class _Extensions:
    """Live view of the registered extensions: ``".docx" in SUPPORTED_EXTENSIONS``."""

    def __contains__(self, extension: object) -> bool:
        return isinstance(extension, str) and extension.lower() in loaders_by_extension()

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(loaders_by_extension()))

    def __len__(self) -> int:
        return len(loaders_by_extension())


SUPPORTED_EXTENSIONS = _Extensions()


def format_size(size: int) -> str:
    """A byte count the way a user reads it: ``"512 字节"``, ``"3.4 KB"``, ``"12.0 MB"``."""
    if size < 1024:
        return f"{size} 字节"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def load_document(path: Path | str, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    """Read ``path`` with the loader registered for its extension (case-insensitive).

    Raises :class:`LoadError` (and nothing else) for an unsupported extension, a
    missing, empty, oversized, unreadable or corrupt file, or a file without text.
    """
    path = Path(path)
    _loader_for(path)
    try:
        if not path.exists():
            raise LoadError(path, "文件不存在")
        if not path.is_file():
            raise LoadError(path, "不是普通文件（可能是文件夹）")
        size = path.stat().st_size
        if size == 0:
            raise LoadError(path, "文件为空（0 字节）")
        if size > max_bytes:
            raise LoadError(path, f"文件大小 {format_size(size)} 超过上限 {format_size(max_bytes)}")
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, f"无法读取文件：{exc.strerror or exc}") from exc
    return load_bytes(data, path, max_bytes)


def load_bytes(data: bytes, name: Path | str, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedDocument:
    """Read a file's content ``data``; ``name``'s extension picks the loader (an upload's file name).

    Raises :class:`LoadError` like :func:`load_document`.
    """
    path = Path(name)
    loader = _loader_for(path)
    if not data:
        raise LoadError(path, "文件为空（0 字节）")
    if len(data) > max_bytes:
        raise LoadError(path, f"文件大小 {format_size(len(data))} 超过上限 {format_size(max_bytes)}")
    try:
        document = loader(path, data)
    except LoadError:
        raise
    except Exception as exc:  # a loader bug or a library choking on a corrupt file: still one error type
        raise LoadError(path, f"读取失败，文件可能已损坏（{type(exc).__name__}: {exc}）") from exc
    if not any(block.text.strip() for block in document.blocks):
        raise LoadError(path, "文件中没有可提取的文字内容")
    return document


def _loader_for(path: Path) -> Loader:
    table = loaders_by_extension()
    loader = table.get(path.suffix.lower())
    if loader is None:
        shown = f"“{path.suffix}”" if path.suffix else "（无扩展名）"
        supported = "、".join(sorted(table)) or "无"
        raise LoadError(path, f"不支持的文件类型{shown}，目前支持：{supported}")
    return loader


class TextBuilder:
    """Assembles a document's text block by block, so that ``text[b.start:b.end] == b.text`` holds by construction."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.blocks: list[Block] = []

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def add(
        self,
        text: str,
        kind: BlockKind,
        *,
        level: int | None = None,
        page: int | None = None,
        separator: str = "\n",
    ) -> Block | None:
        """Append one block, trimmed; blank text adds nothing and returns ``None``.

        A table row keeps its leading TABs: they stand for empty first cells.
        """
        if not text.strip():
            return None
        text = text.strip(" \r\n\u3000").rstrip("\t ") if kind == "table_row" else text.strip()
        if self._length:
            self._append(separator)
        start = self._length
        self._append(text)
        block = Block(text=text, kind=kind, level=level, page=page, start=start, end=self._length)
        self.blocks.append(block)
        return block

    def _append(self, piece: str) -> None:
        self._parts.append(piece)
        self._length += len(piece)


# Markup that .docx → text exports leave in the text: bookmarks, footnote/comment
# anchors and stray HTML tags. A tag must start with a letter, so "<5%" survives.
_DEBRIS = re.compile(
    r"\[(?:bookmark|footnoteRef|endnoteRef|commentRef|annotationRef)\b[^\]\n]*\]"
    r"|</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>\n]*)?/?>"
)
_RULE_CHARS = frozenset(" \t\u3000-=_*|:+—")
_RULE_MARKS = frozenset("-=_*—")


def debris_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every piece of export markup in ``text``."""
    return [match.span() for match in _DEBRIS.finditer(text)]


def is_rule_line(line: str) -> bool:
    """True for page-break and table-border debris such as ``------`` or ``|---|---|``."""
    stripped = line.strip()
    return bool(stripped) and set(line) <= _RULE_CHARS and sum(ch in _RULE_MARKS for ch in line) >= 2


def strip_debris(text: str) -> str:
    """``text`` without export markup (bookmarks, footnote anchors, HTML tags) and without rule lines."""
    cleaned = _DEBRIS.sub("", text)
    return "\n".join(line for line in cleaned.split("\n") if not is_rule_line(line))


# ---- metadata -------------------------------------------------------------

_TITLE_WORDS = ("报告", "办法")
_POLICY_WORDS = ("办法", "通知", "意见", "规定", "框架")
_TITLE_SCAN_LINES = 40
_TITLE_MAX_CHARS = 60
_NUMBERED = re.compile(r"^[（(]?\s*(?:[一二三四五六七八九十]+|\d{1,2})\s*[）)、.．]")
_GENERIC_TITLE = re.compile(r"^(?:项目|支出|财政|重点|绩效|自我|自评|评价|报告)+$")
_YEAR_IN_TITLE = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_YEAR_IN_TEXT = re.compile(r"(?<!\d)(20\d{2})\s*年")
_LEADING_YEAR = re.compile(r"^\s*(?:20\d{2})\s*年度?\s*")
_TITLE_SUFFIX = re.compile(r"(?:支出)?(?:绩效)?(?:自我|自)?评价报告$")
_REGION = re.compile(r"[\u4e00-\u9fff]{1,7}?(?:特别行政区|自治区|自治州|省|市|县|区|旗|盟)")
_NOT_REGIONS = frozenset({"全市", "本市", "全省", "本省", "全县", "本县", "全区", "本区", "市区", "辖区", "城区", "地区",
                          "园区", "社区", "小区", "景区", "片区", "专区", "该市", "该县", "该区"})
_TERMINAL = ("。", "；", ";", "，", ",", "：", ":")


def _title_candidates(text: str) -> list[str]:
    lines = []
    for raw in text.split("\n"):
        line = strip_debris(raw).strip().lstrip("#").strip()
        if line:
            lines.append(line)
        if len(lines) >= _TITLE_SCAN_LINES:
            break
    return lines


def _plain_line(line: str) -> bool:
    """A line that could be (part of) a title: short, not a table row, not numbered, not a sentence."""
    return (
        len(line) <= _TITLE_MAX_CHARS
        and "\t" not in line
        and not _NUMBERED.match(line)
        and not line.endswith(_TERMINAL)
    )


_QUOTED_REPORT = re.compile(r"《([^《》\n]{4,60}?评价报告)》")
_EVALUATED_PROJECT = re.compile(r"([\u4e00-\u9fff0-9]{2,40}?(?:项目|资金))(?:支出)?(?:重点)?绩效(?:自我|自)?评价")
_PROJECT_LEAD = re.compile(r"^(?:.*?[对将于由受])(?=[\u4e00-\u9fff]{2}[省市县区]|20\d{2})")
_CJK_SPACE = re.compile(r"(?<=[\u4e00-\u9fff0-9])\s+(?=[\u4e00-\u9fff0-9])")


def tidy_title(title: str) -> str:
    """A title without the spaces that PDF and Word exports put between Chinese characters and digits."""
    return _CJK_SPACE.sub("", title.strip())


def _title_in_text(text: str) -> str | None:
    """A report title the text names itself: 《…绩效评价报告》, else the project it says it evaluates.

    004 opens with a bare "项目绩效评价报告" and later says it has produced
    《2023年永州市…项目绩效评价报告》; 000 has no title line at all but writes
    "宿州市2023年度城市智脑信息化项目绩效评价" in its table captions and results.
    """
    quoted = [tidy_title(m.group(1)) for m in _QUOTED_REPORT.finditer(text[:20_000])]
    quoted = [q for q in quoted if not _GENERIC_TITLE.match(q) and not any(w in q for w in ("办法", "通知", "方案"))]
    if quoted:
        return Counter(quoted).most_common(1)[0][0]
    projects: Counter[str] = Counter()
    for match in _EVALUATED_PROJECT.finditer(text):
        name = _PROJECT_LEAD.sub("", match.group(1))
        if len(name) >= 6 and not _GENERIC_TITLE.match(name):
            projects[name] += 1
    if projects:
        name, count = projects.most_common(1)[0]
        if count >= 2:
            return f"{name}绩效评价报告"
    return None


def guess_title(text: str) -> str | None:
    """The report's title: a short line near the top naming a report or policy, else one the text names.

    A bare "绩效评价报告" on its own line (a cover page) is joined to the project
    name on the line before it; a title that is still generic ("项目绩效评价报告")
    gives way to the specific one the text quotes (:func:`_title_in_text`).
    """
    lines = _title_candidates(text)
    found: str | None = None
    for i, line in enumerate(lines):
        if not (_plain_line(line) and any(word in line for word in _TITLE_WORDS)):
            continue
        compact = re.sub(r"\s+", "", line)
        if _GENERIC_TITLE.match(compact) and i > 0:
            previous = lines[i - 1]
            if _plain_line(previous) and len(previous) <= 40 and not any(w in previous for w in _TITLE_WORDS):
                found = previous + line
                break
        found = line
        break
    if found is not None and not _GENERIC_TITLE.match(re.sub(r"\s+", "", found)):
        return tidy_title(found)
    return _title_in_text(text) or (tidy_title(found) if found else None)


def guess_year(text: str) -> int | None:
    """The year a report is about: the most frequent "20xx年" in the text, the later one on a tie.

    The first "20xx年" is usually a policy's date in the background section
    (000 starts with 2019, 003 with 2017), not the evaluated year.
    """
    counts = Counter(int(year) for year in _YEAR_IN_TEXT.findall(text))
    if not counts:
        return None
    return max(counts, key=lambda year: (counts[year], year))


def guess_region(title: str) -> str | None:
    """A best-effort 省/市/县/区 name at the start of ``title`` (after a leading year); the most specific wins."""
    rest = _LEADING_YEAR.sub("", title)
    rest = re.sub(r"^(?:关于)?(?:印发)?", "", rest)
    found: str | None = None
    while match := _REGION.match(rest):
        name = match.group(0)
        if name in _NOT_REGIONS or name.endswith(("城市", "都市")):
            break
        found = name
        rest = rest[match.end():]
    return found


# A city or county named as the seat of an institution: "青岩市人民政府办公室", "受白沙县数据资源局委托".
_REGION_IN_TEXT = re.compile(
    r"(?:(?<![\u4e00-\u9fff])|(?<=[受对由于和与及省在经]))([\u4e00-\u9fff]{2,4}?[市县])"
    r"(?=人民政府|政府|财政局|发展和改革|数据资源|行政审批|信息中心|数字管理|市委|县委|委员会|级财政|本级)"
)
_EVALUATOR_LABEL = re.compile(r"(?:评价机构|第三方机构|评价单位|受托机构)\s*[：:]\s*([^\s，,。；;]{4,40})")
_ORG_TAIL = r"(?:有限责任公司|有限公司|事务所(?:（[^）\n]{1,8}）|\([^)\n]{1,8}\))?|研究院|研究中心|咨询中心|评估中心)"
_EVALUATOR_COMMISSIONED = re.compile(r"委托\s*[，,]?\s*([\u4e00-\u9fff（）()]{4,40}?" + _ORG_TAIL + r")")
_EVALUATOR_ACCEPTING = re.compile(r"([\u4e00-\u9fff（）()]{4,40}?" + _ORG_TAIL + r")\s*受[\u4e00-\u9fff]{2,30}?委托")
_SELF_CUES = re.compile(r"自评得分|自评分|自我评价|我办|我单位|我局|我中心|本单位")


def guess_region_in_text(text: str) -> str | None:
    """The city or county most often named as an institution's seat in ``text`` (first seen on a tie)."""
    counts = Counter(match.group(1) for match in _REGION_IN_TEXT.finditer(text) if match.group(1) not in _NOT_REGIONS)
    if not counts:
        return None
    top = max(counts.values())
    return next(name for name in counts if counts[name] == top)


def guess_evaluator(text: str) -> str | None:
    """The third-party evaluator: a "评价机构：…" line, else the firm "受…委托" names."""
    head = text[:30_000]
    if match := _EVALUATOR_LABEL.search(head):
        return match.group(1)
    found = [m for m in (_EVALUATOR_COMMISSIONED.search(head), _EVALUATOR_ACCEPTING.search(head)) if m]
    return min(found, key=lambda m: m.start()).group(1) if found else None


def guess_report_kind(title: str, text: str, evaluator: str | None) -> str | None:
    """第三方评价, 自评 or 部门整体, from the title's wording, a named evaluator and self-evaluation cues."""
    if "部门整体" in title:
        return "部门整体"
    if re.search(r"自我评价|自评", title):
        return "自评"
    if evaluator:
        return "第三方评价"
    if len(_SELF_CUES.findall(text)) >= 2:
        return "自评"
    return None


def guess_project(title: str) -> str | None:
    """The title without its leading year and its 绩效评价报告-style suffix; ``None`` if nothing specific is left."""
    project = _TITLE_SUFFIX.sub("", _LEADING_YEAR.sub("", title)).strip()
    if len(project) < 3 or _GENERIC_TITLE.match(project):
        return None
    return project


def _front_year(value: Any) -> int | None:
    try:
        year = int(str(value).strip().removesuffix("年"))
    except (TypeError, ValueError):
        return None
    return year if 1900 <= year <= 2100 else None


def _front_str(front: Mapping[str, Any], key: str) -> str | None:
    value = front.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def build_meta(path: Path, text: str, front: Mapping[str, Any] | None = None) -> DocumentMeta:
    """Metadata for a document: front-matter values win, the rest is inferred from the title and text."""
    front = front or {}
    title = tidy_title(_front_str(front, "title") or guess_title(text) or path.stem)

    year = _front_year(front["year"]) if "year" in front else None
    if year is None:
        match = _YEAR_IN_TITLE.search(title)
        year = int(match.group(1)) if match else guess_year(text)

    kind: DocumentKind
    front_kind = _front_str(front, "kind")
    if front_kind == "report":
        kind = "report"
    elif front_kind == "policy":
        kind = "policy"
    else:
        is_policy = any(word in title for word in _POLICY_WORDS) and "报告" not in title
        kind = "policy" if is_policy else "report"

    evaluator = _front_str(front, "evaluator") or (guess_evaluator(text) if kind == "report" else None)
    return DocumentMeta(
        doc_id=path.stem,
        title=title,
        source=path.name,
        kind=kind,
        project=_front_str(front, "project") or guess_project(title),
        year=year,
        region=_front_str(front, "region") or guess_region(title) or (guess_region_in_text(text) if kind == "report" else None),
        evaluator=evaluator,
        report_kind=_front_str(front, "report_kind") or (guess_report_kind(title, text, evaluator) if kind == "report" else None),
    )
