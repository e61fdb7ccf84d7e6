"""Read and write case files (YAML or JSON), with errors that name the file, the line and the field."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from scoring.models import Case
from scoring.rules import REGISTRY
from scoring.tree import TreeIndex

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a case file."""

    source: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class CaseFileError(Exception):
    """A case file that cannot be used; ``problems`` lists every reason with its location."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def _decode(raw: bytes, source: str) -> str:
    # Government offices still save GBK files; accept them rather than fail on a BOM or a codec.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CaseFileError([Problem(source, None, "", "无法识别文件编码（应为 UTF-8 或 GBK）")])


def _plain(node: Any) -> Any:
    """ruamel's round-trip objects → plain dicts, lists and scalars; floats become Decimals via their text."""
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    if isinstance(node, float):
        return Decimal(str(float(node)))
    return node


def _line_of(tree: Any, loc: Loc) -> int | None:
    """1-based line of the deepest part of ``loc`` that exists in the parsed YAML tree."""
    line: int | None = None
    node = tree
    for part in loc:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        elif isinstance(node, (CommentedMap, CommentedSeq)):
            continue  # a discriminator tag or a model name in pydantic's loc: skip it
        else:
            break
    return line


def _field(loc: Loc) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in REGISTRY or part.startswith("function-"):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text


_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段（拼写是否有误？）",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "float_parsing": "应为数字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "string_type": "应为文本",
    "list_type": "应为列表",
    "dict_type": "应为键值表",
    "model_type": "应为键值表",
    "model_attributes_type": "应为键值表",
    "too_short": "不能为空",
    "string_too_short": "不能为空",
    "finite_number": "应为有限数字",
    "decimal_max_digits": "数字位数过多",
}


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "union_tag_invalid":
        return f"未知的评分规则类型 {ctx.get('tag')!r}（可用：{'、'.join(REGISTRY)}）"
    if kind == "union_tag_not_found":
        return f"评分规则缺少 type（可用：{'、'.join(REGISTRY)}）"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": "≥", "greater_than": ">", "less_than_equal": "≤", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()), "")
        return f"应 {sign} {bound}（实际为 {error.get('input')!r}）"
    if kind == "literal_error":
        return f"取值应为 {ctx.get('expected')}（实际为 {error.get('input')!r}）"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in _MESSAGES:
        given = error.get("input")
        suffix = f"（实际为 {given!r}）" if kind.endswith(("parsing", "type")) and given is not None else ""
        return _MESSAGES[kind] + suffix
    return str(error["msg"])


def _problems_from_validation(exc: ValidationError, tree: Any, source: str) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc: Loc = tuple(error["loc"])
        problems.append(Problem(source, _line_of(tree, loc), _field(loc), _message(error)))
    return problems


def _parse_text(text: str, source: str, fmt: str) -> Any:
    # JSON is read with the YAML parser too: it keeps line numbers for error messages.
    label = "JSON" if fmt == "json" else "YAML"
    yaml = YAML(typ="rt")
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise CaseFileError([Problem(source, line, "", f"{label} 格式错误：{exc.problem or exc.context}")]) from exc
    except YAMLError as exc:
        raise CaseFileError([Problem(source, None, "", f"{label} 格式错误：{exc}")]) from exc


def parse_case(text: str, source: str = "<case>", fmt: str = "yaml") -> Case:
    """Validate case text; raise :class:`CaseFileError` listing every problem with its line."""
    tree = _parse_text(text, source, fmt)
    if not isinstance(tree, dict):
        raise CaseFileError([Problem(source, 1, "", "案例文件应为键值表（project、indicators 等）")])
    data = _plain(tree)
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        raise CaseFileError(_problems_from_validation(exc, tree, source)) from exc
    reference_errors = TreeIndex(case).reference_errors(case)
    if reference_errors:
        raise CaseFileError([Problem(source, _line_of(tree, loc), _field(loc), message) for loc, message in reference_errors])
    return case


def case_format(path: Path) -> str:
    return "json" if path.suffix.lower() == ".json" else "yaml"


def load_case(path: str | Path) -> Case:
    """Read a case file (.yaml/.yml/.json)."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise CaseFileError([Problem(source, None, "", "文件不存在")]) from exc
    except IsADirectoryError as exc:
        raise CaseFileError([Problem(source, None, "", "这是一个目录，不是案例文件")]) from exc
    except PermissionError as exc:
        raise CaseFileError([Problem(source, None, "", "没有读取权限")]) from exc
    return parse_case(_decode(raw, source), source, case_format(path))


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 else float(value)
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    return value


def case_to_data(case: Case) -> dict[str, Any]:
    """A case as plain data, without defaults, ready to write as YAML or JSON."""
    return _jsonable(case.model_dump(mode="python", exclude_none=True, exclude_defaults=True))


def dump_case(case: Case, fmt: str = "yaml") -> str:
    """Serialise a case for writing to a file."""
    data = case_to_data(case)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    yaml = YAML(typ="rt")
    yaml.allow_unicode = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue()


def write_atomic(path: Path, text: str | bytes) -> None:
    """Write via a temporary file and rename, so a failure never leaves a half-written file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    mode = "wb" if isinstance(text, bytes) else "w"
    with open(tmp, mode, **({} if isinstance(text, bytes) else {"encoding": "utf-8"})) as handle:
        handle.write(text)
    tmp.replace(path)


def problems_text(problems: Iterable[Problem]) -> str:
    return "\n".join(str(problem) for problem in problems)
