"""Read and write case files (YAML or JSON), with errors that name the file, the line and the field."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from scoring.models import Case
from scoring.rules import REGISTRY
from scoring.tree import TreeIndex

Loc = tuple[str | int, ...]

# Limits that keep a broken or hostile file from hanging or crashing the reader.
MAX_NESTING = 64
"""Nested lists and maps (one indicator level is two: the node and its ``children``)."""
MAX_VALUES = 1_000_000
"""Values once YAML aliases are expanded (a "billion laughs" file of a few lines expands to 10^9)."""
MAX_ABS = Decimal("1e15")
MIN_ABS = Decimal("1e-12")
"""Every number is 0 or within [MIN_ABS, MAX_ABS): far beyond any real figure, and sums stay exact in 28 digits."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a case file."""

    source: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        text = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        return text.replace("\r", "\\r").replace("\n", "\\n")  # one line per problem, whatever a name contains


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
    "string_unicode": "文本含无效字符（孤立的代理码位）",
    "list_type": "应为列表",
    "dict_type": "应为键值表",
    "model_type": "应为键值表",
    "model_attributes_type": "应为键值表",
    "too_short": "不能为空",
    "string_too_short": "不能为空",
    "finite_number": "应为有限数字",
    "decimal_max_digits": "数字位数过多",
}


def _cut(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(value: Any, limit: int = 60) -> str:
    """``repr`` of an offending value, cut short: a whole subtree must not end up in a message."""
    return _cut(repr(value), limit)


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
        return f"应 {sign} {bound}（实际为 {_shown(error.get('input'))}）"
    if kind == "literal_error":
        return f"取值应为 {ctx.get('expected')}（实际为 {_shown(error.get('input'))}）"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in _MESSAGES:
        given = error.get("input")
        suffix = f"（实际为 {_shown(given)}）" if kind.endswith(("parsing", "type")) and given is not None else ""
        return _MESSAGES[kind] + suffix
    return str(error["msg"])


def _problems_from_validation(exc: ValidationError, tree: Any, source: str) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc: Loc = tuple(error["loc"])
        problems.append(Problem(source, _line_of(tree, loc), _field(loc), _message(error)))
    return problems


_LONG_DIGITS = re.compile(r"\d{4000,}")
# Outside YAML's printable set, or a line break to YAML though not to JSON. In a JSON document such a
# character can only be inside a string, where the \uXXXX escape stands for it exactly.
_NOT_YAML_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FLOW_CHARS = re.compile(r"[\[\]{}\"'#]")
_VALUE_START = frozenset(":,[{-?\n")


def _char_before(text: str, at: int) -> str:
    i = at - 1
    while i >= 0 and text[i] in " \t\r":
        i -= 1
    return "\n" if i < 0 else text[i]


def _quoted_end(text: str, at: int) -> int:
    """Index after the quoted scalar opening at ``at`` ("…" with backslash escapes, '…' with '' escapes)."""
    quote = text[at]
    i = at + 1
    while (i := text.find(quote, i)) >= 0:
        if quote == '"':
            j = i - 1
            while j > at and text[j] == "\\":
                j -= 1
            if (i - 1 - j) % 2 == 0:  # not escaped: an even number of backslashes before it
                return i + 1
        elif text.startswith("''", i):
            i += 2
            continue
        else:
            return i + 1
        i += 1
    return len(text)


def _flow_too_deep(text: str, limit: int = MAX_NESTING) -> int | None:
    """The line where ``[…]``/``{…}`` nest deeper than ``limit``, if any.

    A cheap scan before the YAML parser, whose scanner takes time quadratic in
    this depth (3,000 nested brackets: 10 s) before it runs out of stack.
    """
    if text.count("[") + text.count("{") <= limit:
        return None
    depth, pos = 0, 0
    while (match := _FLOW_CHARS.search(text, pos)) is not None:
        at, char = match.start(), match.group()
        pos = at + 1
        if char in "[{":
            if _char_before(text, at) in _VALUE_START:
                depth += 1
                if depth > limit:
                    return text.count("\n", 0, at) + 1
        elif char in "]}":
            depth = max(depth - 1, 0)
        elif char == "#":
            if at == 0 or text[at - 1] in " \t\n":
                end = text.find("\n", at)
                pos = len(text) if end < 0 else end
        elif _char_before(text, at) in _VALUE_START:
            pos = _quoted_end(text, at)
    return None


def _shape_problem(tree: Any) -> str | None:
    """Why a parsed tree cannot be read as data: nested too deep, an alias cycle, or too many values after aliases."""
    sizes: dict[int, int] = {}
    depths: dict[int, int] = {}
    open_: set[int] = set()  # nodes whose children are still being visited: the current path
    stack: list[tuple[Any, bool]] = [(tree, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        children = list(node.values()) if isinstance(node, dict) else list(node)
        nested = [child for child in children if isinstance(child, (dict, list))]
        if finished:
            open_.discard(key)
            sizes[key] = 1 + len(children) - len(nested) + sum(sizes[id(child)] for child in nested)
            depths[key] = 1 + max((depths[id(child)] for child in nested), default=0)
            if depths[key] > MAX_NESTING:
                return f"嵌套层级超过 {MAX_NESTING} 层，文件结构异常"
            if sizes[key] > MAX_VALUES:
                return f"展开别名（&/*）后超过 {MAX_VALUES:,} 个值，疑似 YAML 别名炸弹，已拒绝读取"
            continue
        if key in sizes:
            continue
        if key in open_:
            return "别名（&/*）引用了自身，结构循环，无法读取"
        open_.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in nested if id(child) not in sizes)
    return None


def _parse_text(text: str, source: str, fmt: str) -> Any:
    # JSON is read with the YAML parser too: it keeps line numbers for error messages.
    label = "JSON" if fmt == "json" else "YAML"
    if fmt == "json":  # valid JSON text YAML would alter (NEL, U+2028/9 fold to spaces) or refuse (C1 controls, U+FFFE)
        text = _NOT_YAML_PRINTABLE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    deep_at = _flow_too_deep(text)
    if deep_at is not None:
        raise CaseFileError([Problem(source, deep_at, "", f"{label} 嵌套层级超过 {MAX_NESTING} 层，文件结构异常")])
    yaml = YAML(typ="rt")
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise CaseFileError([Problem(source, line, "", f"{label} 格式错误：{exc.problem or exc.context}")]) from exc
    except YAMLError as exc:
        raise CaseFileError([Problem(source, None, "", f"{label} 格式错误：{exc}")]) from exc
    except RecursionError as exc:
        raise CaseFileError([Problem(source, None, "", f"{label} 嵌套层级过深，无法读取")]) from exc
    except Exception as exc:  # e.g. an integer of more than 4,300 digits: the parser's own ValueError
        digits = _LONG_DIGITS.search(text)
        if digits is not None:
            line = text.count("\n", 0, digits.start()) + 1
            raise CaseFileError([Problem(source, line, "", f"{label} 内容无法读取：数字长达 {len(digits.group())} 位，位数过多")]) from exc
        raise CaseFileError([Problem(source, None, "", f"{label} 内容无法读取（{type(exc).__name__}: {_cut(str(exc), 120)}）")]) from exc
    if isinstance(tree, (dict, list)):
        problem = _shape_problem(tree)
        if problem is not None:
            raise CaseFileError([Problem(source, None, "", problem)])
    return tree


def _number_problems(case: Case) -> list[tuple[Loc, str]]:
    """Numbers beyond what a case can mean (``MIN_ABS``/``MAX_ABS``), with where they are."""
    found: list[tuple[Loc, str]] = []
    stack: list[tuple[Any, Loc]] = [(case, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, BaseModel):
            stack.extend((getattr(value, name), (*loc, name)) for name in reversed(type(value).model_fields))
        elif isinstance(value, dict):
            stack.extend((item, (*loc, key)) for key, item in reversed(value.items()))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, (*loc, i)) for i, item in reversed(list(enumerate(value))))
        elif isinstance(value, (Decimal, int)) and not isinstance(value, bool) and value != 0:
            number = Decimal(value).copy_abs()
            if number >= MAX_ABS:
                found.append((loc, f"数字过大（绝对值应小于 10^15，实际为 {_cut(str(value), 30)}）"))
            elif number < MIN_ABS:
                found.append((loc, f"数字过小（非零数的绝对值应不小于 10^-12，实际为 {_cut(str(value), 30)}）"))
    return found


def parse_case(text: str, source: str = "<case>", fmt: str = "yaml") -> Case:
    """Validate case text; raise :class:`CaseFileError` listing every problem with its line."""
    tree = _parse_text(text, source, fmt)
    if not isinstance(tree, dict):
        raise CaseFileError([Problem(source, 1, "", "案例文件应为键值表（project、indicators 等）")])
    return _validate(_plain(tree), tree, source)


def case_from_data(data: Any, source: str = "case") -> Case:
    """Validate a case given as data (an API body, a page's edit); problems name the field, not a line."""
    if not isinstance(data, dict):
        raise CaseFileError([Problem(source, None, "", "案例应为键值表（project、indicators 等）")])
    problem = _shape_problem(data)
    if problem is not None:
        raise CaseFileError([Problem(source, None, "", problem)])
    return _validate(_plain(data), None, source)


def _validate(data: Any, tree: Any, source: str) -> Case:
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        raise CaseFileError(_problems_from_validation(exc, tree, source)) from exc
    out_of_range = _number_problems(case)
    if out_of_range:
        raise CaseFileError([Problem(source, _line_of(tree, loc), _field(loc), message) for loc, message in out_of_range])
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
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
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
    try:
        with open(tmp, mode, **({} if isinstance(text, bytes) else {"encoding": "utf-8"})) as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)
    except BaseException as exc:  # disk full, read-only, interrupted: no temporary file is left behind
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        if isinstance(exc, OSError) and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, str(path)) from exc  # name the file the user asked for
        raise


def problems_text(problems: Iterable[Problem]) -> str:
    return "\n".join(str(problem) for problem in problems)
