"""Errors of the precedent index that callers (CLI, API) turn into messages; importable without chromadb."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The vector store cannot be used; the message says where and what to do."""
