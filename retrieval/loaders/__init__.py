"""Loaders turn a file into a :class:`~retrieval.models.LoadedDocument`; one module per format."""
