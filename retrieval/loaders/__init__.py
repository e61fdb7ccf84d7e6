"""Loaders turn a file into a :class:`~retrieval.models.LoadedDocument`; one module per format."""

from retrieval.loaders import docx, pdf, text  # noqa: F401  (registration)
from retrieval.loaders.base import SUPPORTED_EXTENSIONS, LoadError, load_document, register_loader

__all__ = ["SUPPORTED_EXTENSIONS", "LoadError", "load_document", "register_loader"]
