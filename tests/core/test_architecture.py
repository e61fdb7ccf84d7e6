"""The house's rules, checked on the code itself: layers, one declaration per concept, thin routes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from conftest import ROOT

BELOW_THE_CLI = ("core", "scoring", "retrieval", "assistant", "checker", "workspace", "api")
PROJECT_PACKAGES = (*BELOW_THE_CLI, "jixiao")
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b", re.I)


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_nothing_below_the_cli_imports_the_cli() -> None:
    offenders = [str(path.relative_to(ROOT)) for package in BELOW_THE_CLI for path in modules(package) if "jixiao" in imported_packages(path)]
    assert offenders == []


def test_core_imports_no_other_project_package() -> None:
    offenders = {str(path.relative_to(ROOT)): imported_packages(path) & set(PROJECT_PACKAGES) - {"core"} for path in modules("core")}
    assert {path: found for path, found in offenders.items() if found} == {}


def test_scoring_is_the_ground_floor() -> None:
    """scoring may use core only: it never reaches up into retrieval, drafting or the API."""
    allowed = {"core", "scoring"}
    offenders = {str(path.relative_to(ROOT)): imported_packages(path) & set(PROJECT_PACKAGES) - allowed for path in modules("scoring")}
    assert {path: found for path, found in offenders.items() if found} == {}


def test_api_holds_no_sql_and_no_long_module() -> None:
    for path in modules("api"):
        text = path.read_text(encoding="utf-8")
        assert not SQL.search(text), f"{path.relative_to(ROOT)} holds SQL: stores belong in workspace/"
        assert text.count("\n") <= 250, f"{path.relative_to(ROOT)} has {text.count(chr(10))} lines"


def test_routes_are_thin() -> None:
    """A route is a call into the workspace: at most 15 lines of body."""
    for path in modules("api/routes"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and any(
                isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute) and d.func.attr in {"get", "post", "put", "delete"} for d in node.decorator_list
            ):
                body_lines = node.body[-1].end_lineno - node.body[0].lineno + 1  # type: ignore[operator]
                assert body_lines <= 15, f"{path.name}:{node.name} is {body_lines} lines"


def test_no_merge_conflict_left_in_any_tracked_file() -> None:
    """A merge resolved by hand once left ``<<<<<<< HEAD`` in the README; no tracked text file may hold a marker."""
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    marker = re.compile(r"^(<{7} |>{7} |={7}$)", re.MULTILINE)
    suffixes = {".py", ".md", ".yaml", ".yml", ".toml", ".html", ".js", ".css", ".j2", ".txt", ".sh", ".json"}
    left = [name for name in tracked if Path(name).suffix in suffixes and (ROOT / name).is_file()
            and marker.search((ROOT / name).read_text(encoding="utf-8", errors="replace"))]
    assert left == []
