"""The workspace: one façade over scoring, precedents, drafting, checking, documents and sessions.

The CLI and the HTTP API are thin calls into :class:`Workspace`; so is the chat.
"""

from workspace.errors import (
    CaseImportError,
    Conflict,
    IndexUnavailable,
    InvalidCase,
    InvalidInput,
    NotFound,
    StorageFull,
    TooLarge,
    UnreadableDocument,
    UnsupportedType,
    WorkspaceError,
)
from workspace.workspace import DOC_ID, SEARCH_MODES, Workspace

__all__ = [
    "CaseImportError",
    "DOC_ID",
    "SEARCH_MODES",
    "Conflict",
    "IndexUnavailable",
    "InvalidCase",
    "InvalidInput",
    "NotFound",
    "StorageFull",
    "TooLarge",
    "UnreadableDocument",
    "UnsupportedType",
    "Workspace",
    "WorkspaceError",
]
