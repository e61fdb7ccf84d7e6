"""The ``jixiao`` command as a user runs it: real processes, real files."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

SAMPLE = ROOT / "corpus" / "cases" / "sample_case.yaml"


def jixiao(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "jixiao", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


GOOD = "project: {name: x}\nfull_score: 2\nindicators:\n  - name: a\n    weight: 2\n    rule: {type: judgment}\n"

BAD_INPUTS = {
    "malformed.yaml": ("project: {name: x\nindicators: [\n", ":2: YAML 格式错误"),
    "unknown_rule.yaml": (GOOD.replace("judgment", "magic"), ":6: indicators[0].rule: 未知的评分规则类型 'magic'"),
    "missing_weight.yaml": (GOOD.replace("    weight: 2\n", ""), ":4: indicators[0].weight: 末级指标“a”缺少分值"),
    "text_number.yaml": (GOOD.replace("weight: 2", "weight: 两分"), ":5: indicators[0].weight: 应为数字"),
    "bad_finding.yaml": (GOOD + "findings:\n  - {nature: 采购, indicator: 不存在}\n", ":8: findings[0].indicator: 找不到指标“不存在”"),
    "bad.json": ('{"project": {"name": "x"},\n "indicators": [{"name": "a", "weight": "abc", "rule": {"type": "judgment"}}]}', ":2: indicators[0].weight: 应为数字"),
    "nan_weight.yaml": (GOOD.replace("weight: 2", "weight: .nan"), ":5: indicators[0].weight:"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_one_line_error_exit_2(tmp_path: Path, name: str) -> None:
    text, expected = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    proc = jixiao("score", str(path))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"错误：{path}")
    assert expected in lines[0]


def test_missing_file(tmp_path: Path) -> None:
    proc = jixiao("score", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2
    assert "文件不存在" in proc.stderr


def test_gbk_case_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes("project: {name: 某项目}\nfull_score: 2\nindicators:\n  - {name: 立项, weight: 2, rule: {type: judgment}}\n".encode("gbk"))
    proc = jixiao("score", str(path), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["project"] == "某项目"


def test_score_json_keys_and_table() -> None:
    proc = jixiao("score", str(SAMPLE), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert {"total", "grade", "nodes", "checks", "funds"} <= set(data)
    leaves = [n for n in data["nodes"] if n["is_leaf"]]
    roots = [n for n in data["nodes"] if n["level"] == 1]
    assert round(sum(n["score"] for n in roots), 2) == data["total"]
    assert all(n["audit"] for n in leaves)
    table = jixiao("score", str(SAMPLE))
    assert table.returncode == 0
    assert f"{data['total']:.2f}" in table.stdout and data["grade"] in table.stdout


def test_strict_exits_1_on_error_checks(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(GOOD + "stated: {total: 1}\n", encoding="utf-8")
    assert jixiao("score", str(path)).returncode == 0
    assert jixiao("score", str(path), "--strict").returncode == 1


def test_every_command_has_help() -> None:
    """Every --help is Chinese: 用法 / 参数 / 选项, the help option's own line, argument names and types; no English."""
    english = re.compile(r"Usage|Options|Arguments|Show this message|\[required\]|default:|<(?:str|path|int|float)>|\{|OPTIONS|COMMAND")
    for command in ("", "score", "import", "import-xlsx", "init", "check", "rules", "ingest", "search", "sources", "remove", "demo", "draft", "serve", "keys", "keys create"):
        proc = jixiao(*command.split(), "--help")
        assert proc.returncode == 0 and proc.stdout.startswith("用法：jixiao") and "显示本帮助并退出。" in proc.stdout, command
        assert not english.search(proc.stdout), (command, english.search(proc.stdout))
    assert "用法：jixiao draft [选项] 章节 案例文件" in jixiao("draft", "--help").stdout
    assert "problems（存在的问题及原因分析）" in jixiao("draft", "--help").stdout.replace("\n", "").replace(" ", "")  # read from SECTIONS when shown


def test_the_cli_loads_no_drafting_code_until_a_draft_needs_it() -> None:
    """A search process does not pay for the section builders, jinja2, YAML or the case model."""
    code = "import sys, jixiao.cli; print(sorted(m for m in ('assistant.sections', 'jinja2', 'ruamel.yaml', 'scoring.models') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_usage_errors_are_chinese() -> None:
    missing = jixiao("draft")
    assert missing.returncode == 2 and "错误：缺少参数“章节”。" in missing.stderr and "用“jixiao draft --help”查看帮助。" in missing.stderr
    unknown = jixiao("score", "x.yaml", "--bogus")
    assert unknown.returncode == 2 and "错误：没有选项 --bogus" in unknown.stderr
    assert "Error" not in missing.stderr + unknown.stderr and "Try" not in missing.stderr + unknown.stderr


def test_terminal_lines_never_break_inside_a_number() -> None:
    """Rich breaks Chinese text between characters, but never inside 95.09%, 2024年3月31日 or 31.50万元."""
    import io

    from rich.console import Console

    from jixiao.linebreak import install

    install()
    text = "预算执行率为95.09%，于2024年3月31日完成验收，结余31.50万元，共2例。"
    for width in range(14, 40):
        buffer = io.StringIO()
        Console(file=buffer, width=width).print(text)
        out = buffer.getvalue()
        assert all(len(line) <= width for line in out.splitlines())
        for whole in ("95.09%", "2024年3月31日", "31.50万元"):
            assert whole in out, (width, out)
        assert not any(line.startswith(("，", "。")) for line in out.splitlines()), out


def test_rules_lists_every_registered_type() -> None:
    from scoring import RULES

    data = json.loads(jixiao("rules", "--json").stdout)
    assert [item["type"] for item in data] == list(RULES)


def test_draft_command_writes_docx_and_markdown(tmp_path: Path) -> None:
    from docx import Document

    env_home = ["--home", str(tmp_path / "home"), "--no-precedents"]
    docx_path = tmp_path / "初稿.docx"
    proc = jixiao("draft", "report", str(SAMPLE), "--out", str(docx_path), *env_home)
    assert proc.returncode == 0, proc.stderr
    assert "数字核对：通过" in proc.stderr
    document = Document(str(docx_path))
    texts = [p.text for p in document.paragraphs]
    assert "六、存在的问题及原因分析" in texts and document.tables
    markdown = jixiao("draft", "problems", str(SAMPLE), *env_home)
    assert markdown.returncode == 0 and markdown.stdout.startswith("## 存在的问题及原因分析")
    data = json.loads(jixiao("draft", "conclusion", str(SAMPLE), "--json", *env_home).stdout)
    assert data["guard"]["ok"] is True and data["sections"][0]["paragraphs"]


def test_draft_command_rejects_bad_requests(tmp_path: Path) -> None:
    for args, message in (
        (["draft", "summary", str(SAMPLE), "--no-precedents"], "未知的章节"),
        (["draft", "problems", str(SAMPLE), "--backend", "gpt", "--no-precedents"], "未知的起草方式"),
        (["draft", "problems", str(SAMPLE), "--out", str(tmp_path / "x.pdf"), "--no-precedents"], "只支持 .docx 或 .md"),
        (["draft", "problems", str(tmp_path / "none.yaml")], "文件不存在"),
    ):
        proc = jixiao(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert message in proc.stderr and "Traceback" not in proc.stderr


def test_scoring_and_excel_commands_work_without_the_pdf_library(tmp_path: Path) -> None:
    """Only reading a PDF needs pypdf: scoring a case and importing a workbook must not fail for want of it."""
    blocked = "import sys; sys.modules['pypdf'] = None; from jixiao.cli import main; sys.argv = ['jixiao', *sys.argv[1:]]; main()"
    workbook = tmp_path / "评分表.xlsx"
    scored = subprocess.run([sys.executable, "-c", blocked, "score", str(SAMPLE), "--xlsx", str(workbook)], capture_output=True, text=True, timeout=120)
    assert scored.returncode == 0, scored.stderr
    imported = subprocess.run([sys.executable, "-c", blocked, "import-xlsx", str(workbook), "-o", str(tmp_path / "case.yaml")], capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0, imported.stderr
    assert "末级指标" in imported.stdout
    pdf = tmp_path / "报告.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    checked = subprocess.run([sys.executable, "-c", blocked, "check", str(pdf)], capture_output=True, text=True, timeout=120)
    assert checked.returncode == 2 and "pip install pypdf" in checked.stderr and "Traceback" not in checked.stderr
