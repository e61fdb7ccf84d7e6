"""The workspace: every operation a user has, in one place, for the CLI, the API and the chat alike.

A :class:`Workspace` is built from :class:`~core.settings.Settings`. It owns the
precedent index (opened on first use, so scoring and checking never load the
vector store), the server database with its keys, sessions and uploaded
documents, and the rules of who sees what. CLI commands and API routes are thin
calls to its methods; they add only argument parsing and presentation.

``owner`` is who asks: ``None`` for the command line (the library's keeper, who
sees everything), ``"local"`` for the page on this machine, ``"key:<id>"`` for
an API key. A document an owner uploads is visible to that owner only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.settings import BUNDLED_CORPUS, SAMPLE_CASE, Settings
from workspace.db import Database, open_database
from workspace.documents import DocumentStore
from workspace.errors import CaseImportError, Conflict, IndexUnavailable, InvalidCase, InvalidInput, NotFound, TooLarge, UnreadableDocument, UnsupportedType
from workspace.keys import KeyStore
from workspace.sessions import SessionNotFound, SessionStore
from workspace.views import OwnedView

# Scoring, drafting and the loaders are imported where they are used: a `jixiao search` process
# needs none of them, and each costs start-up time (openpyxl, python-docx, jinja2, the case model).
if TYPE_CHECKING:
    from assistant.drafters import DraftEvent
    from assistant.models import Draft, Offer
    from assistant.problems import ProblemOrder
    from checker import CheckReport
    from retrieval.search import Hit, SearchFilters
    from scoring import Case
    from scoring.results import ScoreResult
    from workspace.chat import ChatAnswer
    from scoring.workpapers import ImportResult
    from retrieval.index import IngestReport, PrecedentIndex, Progress
    from retrieval.store import DocumentRecord

#: Document ids: a file name without its extension.
DOC_ID = re.compile(r"^[\w\-.\u4e00-\u9fff（）()]{1,128}$")
SEARCH_MODES = ("hybrid", "dense", "keyword")
#: What a case can be imported from.
CASE_SUFFIXES = (".xlsx", ".yaml", ".yml", ".json", ".docx", ".pdf", ".txt", ".md")


class Workspace:
    """One data directory's operations."""

    def __init__(self, settings: Settings, index: "PrecedentIndex | None" = None) -> None:
        self.settings = settings
        self._index = index

    # ── stores ──────────────────────────────────────────────────────────────
    @cached_property
    def database(self) -> Database:
        return open_database(self.settings.home)

    @cached_property
    def keys(self) -> KeyStore:
        return KeyStore(self.database)

    @cached_property
    def sessions(self) -> SessionStore:
        return SessionStore(self.database)

    @cached_property
    def documents(self) -> DocumentStore:
        return DocumentStore(self.database, self.settings.home)

    # ── the precedent index ─────────────────────────────────────────────────
    @property
    def index(self) -> "PrecedentIndex":
        """The precedent index, opened on first use; :class:`IndexUnavailable` if it cannot be."""
        if self._index is None:
            from retrieval.embedders import EmbedderError
            from retrieval.index import PrecedentIndex
            from retrieval.store import StoreError

            try:
                self._index = PrecedentIndex.from_settings(self.settings)
            except (StoreError, EmbedderError) as exc:
                raise IndexUnavailable(str(exc)) from None
        return self._index

    @property
    def index_open(self) -> bool:
        return self._index is not None

    def precedents(self, owner: str | None = None) -> OwnedView:
        """The index as ``owner`` sees it (everything, for the command line)."""
        hidden = set() if owner is None else self.documents.hidden_from(owner)
        return OwnedView(self.index, hidden)

    def ingest(self, paths: Iterable[Path], prune: bool = False, progress: "Progress | None" = None) -> "IngestReport":
        """Add or replace documents for everyone (the bundled corpus's shipped vectors are used where they fit)."""
        from retrieval.index import bundle_path

        index = self.index
        index.import_vectors(bundle_path(BUNDLED_CORPUS, index.embedder.name))
        return index.ingest(paths, prune=prune, progress=progress)

    def missing_bundled_documents(self) -> list[str]:
        bundled = {path.stem for path in BUNDLED_CORPUS.rglob("*.md") if path.name.lower() != "readme.md"}
        return sorted(bundled - set(self.index.catalog()))

    def ensure_bundled_corpus(self, progress: "Progress | None" = None, announce: Callable[[int], None] | None = None) -> "IngestReport | None":
        """Ingest the bundled sample corpus if any of it is missing (a new user's first start)."""
        missing = self.missing_bundled_documents()
        if not missing:
            return None
        if announce is not None:
            announce(len(missing))
        return self.ingest([BUNDLED_CORPUS], progress=progress)

    def catalog(self, owner: str | None = None) -> list[dict[str, Any]]:
        """The documents ``owner`` may see, with their metadata, chunk counts and whether they were uploaded."""
        owners = self.documents.owners()
        return [
            {**record.meta.model_dump(), "chunks": record.chunks, "path": record.path, "uploaded": doc_id in owners}
            for doc_id, record in sorted(self.index.catalog().items())
            if owner is None or owners.get(doc_id, owner) == owner
        ]

    def remove(self, doc_id: str) -> None:
        """Remove a document for everyone (the command line); :class:`NotFound` if there is none."""
        if not self.index.remove(doc_id):
            raise NotFound(f"先例库中没有文档 {doc_id}", "doc_id")
        self.documents.release(doc_id)

    def search(self, query: str, k: int = 5, filters: "SearchFilters | None" = None, mode: str = "hybrid", owner: str | None = None) -> "list[Hit]":
        if mode not in SEARCH_MODES:
            raise InvalidInput(f"检索方式应为 {'、'.join(SEARCH_MODES)}", "mode")
        return self.precedents(owner).search(query, k=k, filters=filters, mode=mode)

    def passage(self, doc_id: str, ordinal: int, owner: str | None = None) -> Hit:
        if not DOC_ID.match(doc_id):
            raise InvalidInput("文档编号含非法字符", "doc_id")
        hit = self.precedents(owner).passage(doc_id, ordinal)
        if hit is None:
            raise NotFound(f"没有文档 {doc_id} 的第 {ordinal} 个片段")
        return hit

    # ── uploads ─────────────────────────────────────────────────────────────
    def upload(self, owner: str, file_name: str, data: bytes, max_bytes: int) -> dict[str, Any]:
        """Add a document only ``owner`` sees; refused if its id is another owner's or the library's."""
        name = upload_name(file_name, max_bytes, data)
        stem = Path(name).stem
        if not DOC_ID.match(stem) or stem.startswith("."):
            raise InvalidInput("文件名含非法字符", "file")
        index = self.index
        holder = self.documents.owner_of(stem)
        if (holder is not None and holder != owner) or (holder is None and stem in index.catalog()):
            raise Conflict(f"文档编号 {stem} 已被占用，请改名后上传", "file")
        target = self.documents.save(owner, name, data)
        report = index.ingest([target])
        if report.failed:
            target.unlink(missing_ok=True)
            raise UnreadableDocument(report.failed[0][1], "file")
        self.documents.claim(stem, owner)
        record: DocumentRecord = index.catalog()[stem]
        return {"doc_id": stem, "title": record.meta.title, "chunks": record.chunks, "status": "unchanged" if report.unchanged else "ingested"}

    def delete_upload(self, owner: str, doc_id: str) -> None:
        if not DOC_ID.match(doc_id):
            raise InvalidInput("文档编号含非法字符", "doc_id")
        if self.documents.owner_of(doc_id) != owner:
            raise NotFound(f"没有可删除的文档 {doc_id}（只能删除自己上传的文档）")
        self.index.remove(doc_id)
        self.documents.release(doc_id)

    # ── cases and scores ────────────────────────────────────────────────────
    @staticmethod
    def parse_case(data: Any, field: str = "case") -> Case:
        """A case from data (an API body); :class:`InvalidCase` names the first fields at fault."""
        from scoring import CaseFileError, case_from_data

        try:
            return case_from_data(data, field)
        except CaseFileError as exc:
            first = exc.problems[0]
            message = "；".join(f"{p.field}: {p.message}" if p.field else p.message for p in exc.problems[:5])
            raise InvalidCase(message, first.field or None) from None

    @staticmethod
    def import_case(files: list[tuple[str, bytes]], project_name: str | None = None) -> "ImportResult":
        """A case from uploaded files: working-paper workbooks (.xlsx, any number, read together), one case file
        (.yaml / .yml / .json), or one report (.docx / .pdf / .txt / .md, through the checker's case builder).

        :class:`CaseImportError` lists every problem (file, sheet, row, column); nothing is half-imported.
        """
        from scoring import CaseFileError
        from scoring.io import parse_case
        from scoring.workpapers import ImportResult, import_workpapers

        if not files:
            raise InvalidInput("请至少上传一个文件（.xlsx 工作底稿、.yaml/.json 案例文件或 .docx/.pdf 报告）", "file")
        kinds = {name: Path(name).suffix.lower() for name, _ in files}
        unknown = [name for name, suffix in kinds.items() if suffix not in CASE_SUFFIXES]
        if unknown:
            raise UnsupportedType(f"不支持的文件类型：{'、'.join(unknown)}（可用：{'、'.join(CASE_SUFFIXES)}）", "file")
        books = [(name, data) for name, data in files if kinds[name] == ".xlsx"]
        others = [(name, data) for name, data in files if kinds[name] != ".xlsx"]
        if books and others or len(others) > 1:
            raise InvalidInput("一次只能导入一组 .xlsx 工作底稿，或一个案例文件，或一份报告", "file")
        try:
            if books:
                return import_workpapers(books, project_name)
            name, data = others[0]
            if kinds[name] in (".yaml", ".yml", ".json"):
                text = data.decode("utf-8-sig", errors="replace")
                case = parse_case(text, name, "json" if kinds[name] == ".json" else "yaml")
                return ImportResult(case, [], [], [f"{name}：案例文件，按原样导入"], [(name, "", "案例文件", 0)])
            return Workspace._case_of_report(name, data)
        except CaseFileError as exc:
            raise CaseImportError(exc.problems) from None

    @staticmethod
    def _case_of_report(name: str, data: bytes) -> "ImportResult":
        from checker import CheckError, check_with_case
        from checker.document import load_report_bytes
        from scoring.workpapers import ImportResult

        try:
            report, case, why = check_with_case(load_report_bytes(data, name))
        except CheckError as exc:
            raise UnreadableDocument(exc.reason, "file") from None
        if case is None:
            raise UnreadableDocument(f"{name}：{why}", "file")
        notes = [f"{name}：由报告核对生成案例（{len(report.findings)} 处核对结果，见“报告核对”）"]
        return ImportResult(case, [], [], notes, [(name, "", "报告", len(report.leaves))])

    @staticmethod
    def export_case(case: Case, fmt: str) -> tuple[bytes, str, str]:
        """A case as a download: (bytes, media type, file suffix); xlsx in the working-paper layout."""
        from scoring.io import dump_case

        if fmt == "xlsx":
            from scoring.workpapers.export import export_workbook

            return export_workbook(case), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"
        if fmt in ("yaml", "json"):
            return dump_case(case, fmt).encode("utf-8"), "application/yaml" if fmt == "yaml" else "application/json", f".{fmt}"
        raise InvalidInput(f"未知的导出格式 {fmt!r}（可用：xlsx、yaml、json）", "format")

    @staticmethod
    def sample_case() -> dict[str, Any]:
        from scoring import load_case
        from scoring.io import case_to_data

        return case_to_data(load_case(SAMPLE_CASE))

    @staticmethod
    def score(case: "Case") -> "ScoreResult":
        from scoring import score_case

        return score_case(case)

    # ── drafts ──────────────────────────────────────────────────────────────
    def draft(self, case: Case, section: str, backend: str = "template", owner: str | None = None, precedents: bool = True, order: "ProblemOrder" = "points") -> Draft:
        """Draft ``section``; :class:`InvalidInput` for an unknown section or back end or missing LLM settings.
        ``order``: problems by points lost, or ``framework`` (决策→过程→产出→效益)."""
        from assistant.drafting import DraftingError, draft_case
        from assistant.sections import SECTIONS

        try:
            return draft_case(case, section, backend=backend, index=self._source(owner, precedents), settings=self.settings, order=order)
        except DraftingError as exc:
            raise InvalidInput(str(exc), "section" if section not in SECTIONS else "backend") from None

    def stream_draft(self, case: "Case", section: str, backend: str = "template", owner: str | None = None, precedents: bool = True) -> "Iterator[DraftEvent]":
        from assistant.drafting import stream_case
        from assistant.sections import SECTIONS

        if section not in SECTIONS:
            raise InvalidInput(f"未知的章节 {section!r}（可用：{'、'.join(SECTIONS)}）", "section")
        return stream_case(case, section, backend=backend, index=self._source(owner, precedents), settings=self.settings)

    def draft_problem(self, case: Case, number: int, owner: str | None = None) -> tuple[Draft | None, int]:
        """One problem of the problems section with all its findings: (draft or None, number of problems)."""
        from assistant.drafting import draft_problem

        return draft_problem(case, number, index=self._source(owner, True))

    @staticmethod
    def accept_offer(case: Case, offer: Offer) -> Case:
        """The case with an offered phrasing accepted: a cause written into ``cause`` (a measure into ``suggestion``)
        of the findings it was offered for (by 序号, else every finding of its 问题定性 that has none yet).
        :class:`InvalidInput` when no finding can take it; findings that already have one keep theirs."""
        field = "cause" if offer.kind == "cause" else "suggestion"
        text = offer.text.strip().rstrip("。；;")
        if not text:
            raise InvalidInput("采纳的措辞为空", "offer.text")
        ids = set(offer.finding_ids)
        targets = [i for i, f in enumerate(case.findings) if (f.id in ids if ids else f.nature == offer.nature) and not getattr(f, field)]
        if not targets:
            raise InvalidInput(f"案例中没有可写入的问题清单行（问题定性“{offer.nature}”，或这些行已有{'原因' if field == 'cause' else '建议'}）", "offer")
        findings = [f.model_copy(update={field: text}) if i in targets else f for i, f in enumerate(case.findings)]
        return case.model_copy(update={"findings": findings})

    def _source(self, owner: str | None, precedents: bool) -> OwnedView | None:
        if not precedents:
            return None
        view = self.precedents(owner)
        return None if view.is_empty() else view

    # ── checking reports ────────────────────────────────────────────────────
    @staticmethod
    def check_file(path: Path) -> "CheckReport":
        from checker import CheckError, check_report

        try:
            return check_report(path)
        except CheckError as exc:
            raise UnreadableDocument(exc.reason, "file") from None

    @staticmethod
    def check_upload(file_name: str, data: bytes, max_bytes: int, with_lines: bool = False) -> "CheckReport":
        """Check an uploaded report from its bytes (no temporary file); ``with_lines`` returns its text line by line."""
        from checker import CheckError, check_bytes

        name = upload_name(file_name, max_bytes, data)
        try:
            return check_bytes(data, name, with_lines).model_copy(update={"source": name})
        except CheckError as exc:
            raise UnreadableDocument(exc.reason, "file") from None

    @staticmethod
    def annotate_upload(file_name: str, data: bytes, max_bytes: int) -> tuple[str, bytes]:
        """The reviewer's copy of an uploaded report: (download name, .docx bytes with a comment per finding)."""
        from checker import CheckError
        from checker.annotate import annotate_report, annotated_filename

        name = upload_name(file_name, max_bytes, data)
        try:
            return annotated_filename(name), annotate_report(data, name)
        except CheckError as exc:
            raise UnreadableDocument(exc.reason, "file") from None

    @staticmethod
    def check_text(text: str, name: str = "report.txt", with_lines: bool = False) -> "CheckReport":
        from checker import CheckError, check_text

        try:
            return check_text(text, name, with_lines)
        except CheckError as exc:
            raise UnreadableDocument(exc.reason, "text") from None

    @classmethod
    def annotate_text(cls, text: str, name: str = "report.txt") -> tuple[str, bytes]:
        """The reviewer's copy of a report given as text (``name``'s extension: .md for Markdown)."""
        if not text.strip():
            raise UnreadableDocument("报告正文为空", "text")
        suffix = Path(name).suffix.lower()
        name = name if suffix in (".txt", ".text", ".md", ".markdown") else f"{Path(name).stem or 'report'}.txt"
        data = text.encode("utf-8")
        return cls.annotate_upload(name, data, len(data))

    # ── chat ────────────────────────────────────────────────────────────────
    def new_session(self, owner: str, case: dict[str, Any] | None, title: str | None = None) -> str:
        if case is not None:
            self.parse_case(case)
        return self.sessions.create(owner, case, title)

    def session(self, session_id: str, owner: str) -> dict[str, Any]:
        """A session with its messages (each answer's citations, figures, guard and draft)."""
        try:
            meta = self.sessions.get(session_id, owner)
            history = self.sessions.history(session_id, owner)
        except SessionNotFound:
            raise NotFound("会话不存在") from None
        return {**meta, "messages": [{"id": m.id, "role": m.role, "content": m.content, **m.payload, "created": m.created} for m in history]}

    def session_case(self, session_id: str, owner: str) -> dict[str, Any]:
        """The case a session holds (``case`` is ``None`` when none was set yet)."""
        try:
            meta = self.sessions.get(session_id, owner)
        except SessionNotFound:
            raise NotFound("会话不存在") from None
        return {"id": session_id, "case": meta["case"]}

    def set_session_case(self, session_id: str, owner: str, case: dict[str, Any]) -> None:
        self.parse_case(case)
        try:
            self.sessions.set_case(session_id, owner, case)
        except SessionNotFound:
            raise NotFound("会话不存在") from None

    def chat(self, session_id: str, owner: str, message: str) -> tuple[int, int, ChatAnswer, dict[str, Any]]:
        """Store the message, answer it from the session's case and history, store the answer: (user id, reply id, answer, payload).

        With an LLM configured (``JIXIAO_LLM_BASE_URL`` and ``JIXIAO_LLM_MODEL``) the tool-calling agent answers,
        falling back to the router; otherwise the router does. A confirmed edit updates the session's case, and the
        payload's ``changes`` name it (the history shows them).
        """
        stored: tuple[int, int, ChatAnswer, dict[str, Any]] | None = None
        for kind, data in self.chat_stream(session_id, owner, message):
            if kind == "answer":
                stored = data
        assert stored is not None
        return stored

    def chat_stream(self, session_id: str, owner: str, message: str) -> Iterator[tuple[str, Any]]:
        """The same as events: the agent's live ``tool`` and ``delta`` events, then ``("answer", (user id, reply id,
        answer, payload))`` once the answer is stored. The session is checked and the message stored before this returns."""
        try:
            meta = self.sessions.get(session_id, owner)
            history = [{"role": m.role, "content": m.content, **m.payload} for m in self.sessions.history(session_id, owner)]
        except SessionNotFound:
            raise NotFound("会话不存在") from None
        case = self.parse_case(meta["case"]) if meta["case"] else None
        user_id = self.sessions.add(session_id, owner, "user", message)
        events = self._chat_events(session_id, owner, message, case, history, user_id)
        if not (self.settings.llm_base_url and self.settings.llm_model):
            # The router answers at once: store its answer before a stream's first byte is sent, so a crash
            # mid-stream never loses an answer the client began to receive (only the agent streams live).
            return iter(list(events))
        return events

    def _chat_events(self, session_id: str, owner: str, message: str, case: Case | None, history: list[dict[str, Any]], user_id: int) -> Iterator[tuple[str, Any]]:
        from workspace.chat import answer
        from workspace.chat.agent import agent_for

        agent = agent_for(self.settings)
        reply: ChatAnswer | None = None
        if agent is None:
            reply = answer(message, case, self, owner, history)
        else:
            for kind, data in agent.events(message, case, self, owner, history):
                if kind == "answer":
                    reply = data
                else:
                    yield kind, data
        assert reply is not None
        if reply.case is not None:
            self.set_session_case(session_id, owner, reply.case)
        payload: dict[str, Any] = {
            "intent": reply.intent,
            "citations": [c.model_dump() for c in reply.citations],
            "figures": [f.model_dump() for f in reply.figures],
            "guard": reply.guard.model_dump() if reply.guard else None,
            "changes": reply.changes,
        }
        for key in ("proposal", "problem"):
            if getattr(reply, key) is not None:
                payload[key] = getattr(reply, key)
        if reply.tools:
            payload["tools"] = reply.tools
        if reply.draft is not None:
            payload["draft"] = reply.draft.model_dump(mode="json")
        reply_id = self.sessions.add(session_id, owner, "assistant", reply.text, payload)
        yield "answer", (user_id, reply_id, reply, payload)

    def chat_answer(self, message: str, case: Case | None, owner: str | None = None, history: list[dict[str, Any]] | None = None) -> ChatAnswer:
        """One answer, not stored: the agent's when a model is configured (it falls back to the router), else the router's."""
        from workspace.chat import answer
        from workspace.chat.agent import agent_for

        agent = agent_for(self.settings)
        if agent is not None:
            return agent.answer(message, case, self, owner, history or [])
        return answer(message, case, self, owner, history or [])


def upload_name(file_name: str, max_bytes: int, data: bytes) -> str:
    """An uploaded file's own name (no folders), refused if its type has no loader or it is too large."""
    from retrieval.loaders import SUPPORTED_EXTENSIONS

    name = Path((file_name or "").replace("\\", "/")).name
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_EXTENSIONS:
        raise UnsupportedType(f"不支持的文件类型 {suffix or '（无扩展名）'}（可用：{'、'.join(SUPPORTED_EXTENSIONS)}）", "file")
    if len(data) > max_bytes:
        raise TooLarge(f"文件超过上限 {max_bytes // (1024 * 1024)} MB", "file")
    return name
