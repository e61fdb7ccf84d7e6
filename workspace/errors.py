"""What the workspace refuses, as exceptions the CLI prints and the API answers with a status.

Every message is Chinese and says what to do; ``field`` names the input at fault.
"""

from __future__ import annotations

from typing import Any


class WorkspaceError(Exception):
    """A request the workspace cannot carry out; ``code`` is stable for tools, ``message`` is for people."""

    code = "invalid_request"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.field = message, field


class InvalidInput(WorkspaceError):
    code = "invalid_request"


class InvalidCase(WorkspaceError):
    code = "invalid_case"


class CaseImportError(InvalidCase):
    """Files that do not make a case; ``problems`` lists every one with its file, sheet, row and column."""

    def __init__(self, problems: list[Any]) -> None:
        self.problems = problems
        first = problems[0] if problems else None
        super().__init__("；".join(str(p) for p in problems[:8]) + (f"；另有 {len(problems) - 8} 处" if len(problems) > 8 else ""), "file")
        self.first = first


class UnreadableDocument(WorkspaceError):
    code = "unreadable_document"


class NotFound(WorkspaceError):
    code = "not_found"


class Conflict(WorkspaceError):
    code = "conflict"


class TooLarge(WorkspaceError):
    code = "too_large"


class UnsupportedType(WorkspaceError):
    code = "unsupported_type"


class StorageFull(WorkspaceError):
    """The data directory is full or read-only."""

    code = "insufficient_storage"


class IndexUnavailable(WorkspaceError):
    """The precedent index could not be opened (the Chroma server is down, the embedder is missing)."""

    code = "index_unavailable"
