"""jixiao: an assistant for 项目支出绩效评价报告 — scoring, precedents, drafts and checks."""

__version__ = "0.1.0"
