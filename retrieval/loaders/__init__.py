"""Loaders turn a file into a :class:`~retrieval.models.LoadedDocument`; one module per format.

This module is the built-in plugin that registers them through the ``register_loaders`` hook.
"""

from typing import Any

from core.plugins import hookimpl
from retrieval.loaders import docx, pdf, text  # noqa: F401  (declaration)
from retrieval.loaders.base import (
    BUILTIN_LOADERS,
    LOADERS,
    SUPPORTED_EXTENSIONS,
    LoadError,
    LoaderSpec,
    load_bytes,
    load_document,
    register_loader,
)


@hookimpl
def register_loaders(register: Any) -> None:
    for spec in BUILTIN_LOADERS:
        register(spec)


__all__ = ["LOADERS", "SUPPORTED_EXTENSIONS", "LoadError", "LoaderSpec", "load_bytes", "load_document", "register_loader"]
