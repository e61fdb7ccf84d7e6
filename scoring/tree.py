"""Paths and look-ups over the indicator tree, shared by the engine, the checks and the loader."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from scoring.models import PATH_SEPARATOR, Case, Indicator


@dataclass(frozen=True)
class Located:
    path: str
    node: Indicator
    level: int
    parent: str | None
    loc: tuple[str | int, ...]


def walk(roots: list[Indicator]) -> Iterator[Located]:
    """Depth-first, parents before children, in document order."""
    stack: list[tuple[Indicator, str | None, int, tuple[str | int, ...]]] = [
        (node, None, 1, ("indicators", i)) for i, node in reversed(list(enumerate(roots)))
    ]
    while stack:
        node, parent, level, loc = stack.pop()
        path = node.name if parent is None else f"{parent}{PATH_SEPARATOR}{node.name}"
        yield Located(path=path, node=node, level=level, parent=parent, loc=loc)
        for i in range(len(node.children) - 1, -1, -1):
            stack.append((node.children[i], path, level + 1, (*loc, "children", i)))


class TreeIndex:
    """Resolve an indicator by full path or by a unique name (leaf names are what reports use)."""

    def __init__(self, case: Case) -> None:
        self.nodes: list[Located] = list(walk(case.indicators))
        self.by_path: dict[str, Located] = {item.path: item for item in self.nodes}
        self._by_name: dict[str, list[Located]] = {}
        for item in self.nodes:
            self._by_name.setdefault(item.node.name, []).append(item)

    def resolve(self, key: str) -> Located:
        """Return the node named by ``key``; raise ``LookupError`` with a Chinese message otherwise."""
        key = key.strip()
        if key in self.by_path:
            return self.by_path[key]
        matches = self._by_name.get(key, [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            paths = "、".join(item.path for item in matches)
            raise LookupError(f"指标名“{key}”不唯一，请写完整路径：{paths}")
        raise LookupError(f"找不到指标“{key}”")

    def reference_errors(self, case: Case) -> list[tuple[tuple[str | int, ...], str]]:
        """Every finding or stated entry that points to no indicator, with its location."""
        errors: list[tuple[tuple[str | int, ...], str]] = []
        for i, finding in enumerate(case.findings):
            if finding.indicator is None:
                continue
            try:
                located = self.resolve(finding.indicator)
            except LookupError as exc:
                errors.append((("findings", i, "indicator"), str(exc)))
                continue
            if located.node.children:
                errors.append((("findings", i, "indicator"), f"问题应挂在末级指标上，“{located.path}”不是末级指标"))
        if case.stated is not None:
            for field in ("scores", "weights", "rates"):
                for key in getattr(case.stated, field):
                    try:
                        self.resolve(key)
                    except LookupError as exc:
                        errors.append((("stated", field, key), str(exc)))
        return errors
