"""Chinese line breaking for the terminal: never inside a number, a date or a year; no line opens with 、，。）.

Rich breaks lines only at spaces, so a Chinese sentence (one long "word") is cut
wherever the width ends: 「95\\n.09%」, 「20\\n24年」. :func:`install` replaces the
line divider rich's ``Text.wrap`` calls with one that may break between any two
Chinese characters but keeps every span :func:`scoring.numparse.find_numbers`
reads (with its unit), every run of Latin letters and digits, and the
punctuation rules of Chinese typesetting.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rich.cells import cell_len

from scoring.numparse import find_numbers

#: Never at the start of a line.
_CLOSING = set("，。、；：！？）》」』】〕”’%％…·,.;:!?)]}")
#: Never at the end of a line.
_OPENING = set("（《「『【〔“‘([{")
_LATIN = re.compile(r"[0-9A-Za-z_.%％+\-−×÷/=:@#]+")
_original: Callable[..., list[int]] | None = None


def _wide(char: str) -> bool:
    return cell_len(char) == 2


def break_positions(text: str) -> list[bool]:
    """``allowed[i]``: a line may break before ``text[i]``."""
    allowed = [False] * (len(text) + 1)
    for i in range(1, len(text)):
        before, after = text[i - 1], text[i]
        allowed[i] = (before.isspace() and not after.isspace()) or (
            (_wide(before) or _wide(after)) and not after.isspace() and after not in _CLOSING and before not in _OPENING
        )
    for match in _LATIN.finditer(text):
        for i in range(match.start() + 1, match.end()):
            allowed[i] = False
    for number in find_numbers(text):
        end = number.end + (len(number.unit) if number.unit and text.startswith(number.unit, number.end) else 0)
        for i in range(number.start + 1, min(end, len(text))):
            allowed[i] = False
    return allowed


def divide_line(text: str, width: int, fold: bool = True) -> list[int]:
    """Where to break ``text`` (offsets) so that each line fits ``width`` cells; rich's signature."""
    if not fold or width <= 0 or not any(_wide(char) for char in text):
        assert _original is not None
        return _original(text, width, fold)
    allowed = break_positions(text)
    breaks: list[int] = []
    start, used, last = 0, 0, None
    i = 0
    while i < len(text):
        char = text[i]
        if i > start and allowed[i]:
            last = i
        size = cell_len(char)
        if used + size > width and i > start and not char.isspace():
            cut = last if last is not None and last > start else i
            breaks.append(cut)
            start, last = cut, None
            used = cell_len(text[start:i])
            continue
        used += size
        i += 1
    return breaks


def install() -> None:
    """Make rich wrap Chinese text with :func:`divide_line` (once; idempotent)."""
    global _original
    import rich.text

    if _original is None:
        _original = rich.text.divide_line
        rich.text.divide_line = divide_line
