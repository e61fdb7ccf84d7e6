"""HTTP API (FastAPI) for document editors and the web page: thin routes over the same functions as the CLI."""
