"""The one number parser of jixiao: every number in a Chinese report text, with its unit and its role.

:func:`find_numbers` reads Arabic numbers (``5,412.69``, ``95.91%``), Chinese
numerals used as quantities (``三个项目``, ``二十三项``), years, dates, document
numbers (``财预〔2020〕10号``), ordinals (``一是``, ``（一）``, ``第三条``, line-start
``1.``) and codes (``5G``, ``IPV6``, ``12345热线``). Idioms that merely contain a
numeral (``一体化``, ``统一``, ``十四五``, ``一网通办``) are not numbers and are not
returned.

The parser works in passes over the text, most specific first; each pass claims
the characters it reads so that a later, more general pass cannot read them
again (a document number's year is never also a year, a date's day never a count).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from decimal import Decimal
from typing import Literal

Role = Literal["quantity", "year", "date", "doc_number", "ordinal", "code"]
NumeralKind = Literal["arabic", "chinese"]
Measure = Literal["percent", "score", "money", "count", "time", "other"]
DateParts = tuple[int | None, int | None, int | None]

# ── units ───────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class UnitInfo:
    """What a unit written after a number means: its measure, its scale to the base unit, and the role it gives."""

    measure: Measure | None
    scale: Decimal = Decimal(1)
    role: Role = "quantity"


_TEN_THOUSAND = Decimal(10000)

#: Base units: money in 万元, rates in percent points, scores in 分, counts and durations as is.
UNITS: dict[str, UnitInfo] = {
    # money (base 万元)
    "万亿元": UnitInfo("money", Decimal(10) ** 8),
    "亿元": UnitInfo("money", _TEN_THOUSAND),
    "万元": UnitInfo("money"),
    "千元": UnitInfo("money", Decimal("0.1")),
    "元": UnitInfo("money", Decimal("0.0001")),
    # rates
    "%": UnitInfo("percent"),
    "％": UnitInfo("percent"),
    "‰": UnitInfo("percent", Decimal("0.1")),
    "个百分点": UnitInfo("percent"),
    "百分点": UnitInfo("percent"),
    # scores
    "分": UnitInfo("score"),
    # durations
    **{unit: UnitInfo("time") for unit in (
        "年", "周年", "个月", "个工作日", "工作日", "个自然日", "自然日", "天", "日", "个小时", "小时",
        "分钟", "秒", "周", "个星期", "星期", "个季度", "个学期",
    )},
    # counts (measure words)
    **{unit: UnitInfo("count") for unit in (
        "个", "例", "项", "次", "条", "名", "人次", "人", "家", "所", "台", "套", "件", "份", "篇", "张", "类",
        "种", "处", "间", "座", "栋", "户", "笔", "宗", "场", "轮", "批", "部", "辆", "块", "根", "支", "路",
        "位", "节", "门", "册", "本", "页", "组", "层", "幅", "首", "架次", "户次", "台次", "项次", "笔次",
        "人天", "人月", "个点位", "点位", "期次", "起",
    )},
    # other measures
    **{unit: UnitInfo("other") for unit in (
        "倍", "平方公里", "平方米", "平米", "㎡", "公里", "千米", "米", "公顷", "亩", "吨", "千瓦时", "千瓦",
        "兆瓦", "立方米", "千克", "公斤", "克", "升", "兆", "岁",
    )},
    # designations: a numeral before these names a thing, it does not count it
    **{unit: UnitInfo(None, role="ordinal") for unit in ("年级", "级", "期", "号", "届", "季度", "等奖", "星级")},
}

#: Multipliers that may stand between a number and its measure word (``5万个``, ``1.2亿``).
MULTIPLIERS: dict[str, Decimal] = {"万亿": Decimal(10) ** 12, "亿": Decimal(10) ** 8, "万": _TEN_THOUSAND}

#: A unit is not a unit when the next character makes a word of it (``十分重要`` is not 10 分).
NOT_BEFORE: dict[str, str] = {
    "分": "之钟别类配析成批解工布管局公值数区级段期摊担享散离行支流包红项担",
    "人": "民员工才口数",
    "部": "分门署委",
    "次": "性序要生级",
    "条": "件例款线理",
    "名": "称单义",
    "日": "常期志程报",
    "家": "庭长属",
    "所": "以属有在得",
    "门": "户槛类诊",
    "位": "于置",
    "场": "景所地",
    "台": "账阶",
    "处": "理置罚",
    "本": "级地年次身单",
    "支": "付出持撑",
    "座": "谈",
    "节": "点约省能",
    "批": "复准示",
    "种": "植",
    "期": "间限末望待",
    "号": "召",
    "年": "龄轻",
    "周": "边期转",
    "路": "由径",
    "件": "事",
    "块": "钱",
    "间": "隔",
    "起": "草止步点始诉码",
}

_UNIT_KEYS = sorted(UNITS, key=len, reverse=True)
_UNITS_BY_FIRST: dict[str, list[str]] = {}
for _unit in _UNIT_KEYS:
    _UNITS_BY_FIRST.setdefault(_unit[0], []).append(_unit)
_SPACES = " \u3000\u00a0"


def unit_info(unit: str | None) -> UnitInfo | None:
    """Measure, scale and role of a unit as :func:`find_numbers` writes it (``万个`` = count × 10 000)."""
    if unit is None:
        return None
    if unit in UNITS:
        return UNITS[unit]
    for prefix, factor in MULTIPLIERS.items():
        if unit.startswith(prefix):
            rest = unit[len(prefix):]
            if not rest:
                return UnitInfo(None, factor)
            base = UNITS.get(rest)
            if base is not None:
                return UnitInfo(base.measure, base.scale * factor, base.role)
    return None


# ── the parsed number ───────────────────────────────────────────────────────


@dataclass(frozen=True)
class ParsedNumber:
    """One number found in a text.

    ``text`` is the number as written, ``start``/``end`` its span in the text
    (a percent sign is part of the number; other units follow it and are in
    ``unit``). ``value`` is the written value (``5`` for ``5万元``; the unit
    carries the scale). For years and dates ``date`` holds (year, month, day)
    with ``None`` for parts not written, and ``text`` the whole expression.
    """

    text: str
    start: int
    end: int
    value: Decimal
    decimals: int
    unit: str | None
    kind: NumeralKind
    role: Role
    date: DateParts | None = None

    @property
    def measure(self) -> Measure | None:
        """percent / score / money / count / time / other, or ``None`` for a bare number."""
        info = unit_info(self.unit)
        return info.measure if info else None

    @property
    def scale(self) -> Decimal:
        """Factor from the written unit to the base unit (万元, %, 分, 1)."""
        info = unit_info(self.unit)
        return info.scale if info else Decimal(1)

    @property
    def base_value(self) -> Decimal:
        """The value in base units: ``5191.10万元`` → 5191.10, ``500元`` → 0.05, ``7.96万个`` → 79600."""
        return self.value * self.scale

    @property
    def is_quantity(self) -> bool:
        return self.role == "quantity"


# ── numerals ────────────────────────────────────────────────────────────────

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
              "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
_CN_SMALL_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG_UNITS = {"万": 10**4, "亿": 10**8}
_CN_CHARS = "".join(_CN_DIGITS) + "".join(_CN_SMALL_UNITS) + "".join(_CN_BIG_UNITS)
_CN_PLAIN_DIGITS = "〇零一二三四五六七八九"
_CN_SMALL = "一二三四五六七八九十"
_FULLWIDTH = str.maketrans("０１２３４５６７８９．，", "0123456789.,")


def chinese_to_int(text: str) -> int | None:
    """``二十三`` → 23, ``一百零五`` → 105, ``两千`` → 2000, ``十一`` → 11; ``None`` if not a positional numeral."""
    total = section = number = 0
    last_digit = False
    for char in text:
        if char in "零〇":
            if last_digit:
                return None
            continue
        if char in _CN_DIGITS:
            if last_digit:
                return None
            number, last_digit = _CN_DIGITS[char], True
        elif char in _CN_SMALL_UNITS:
            if not last_digit:
                if number or section % 10:
                    return None
                number = 1
            section += number * _CN_SMALL_UNITS[char]
            number, last_digit = 0, False
        elif char in _CN_BIG_UNITS:
            section += number
            if section == 0:
                return None
            if _CN_BIG_UNITS[char] == 10**8:
                total = (total + section) * 10**8
            else:
                total += section * 10**4
            section, number, last_digit = 0, 0, False
        else:
            return None
    return total + section + number


def _digitwise(text: str) -> int | None:
    """``二〇二三`` → 2023 (digit by digit, as years are written)."""
    if not text or any(char not in _CN_DIGITS for char in text):
        return None
    return int("".join(str(_CN_DIGITS[char]) for char in text))


def _cn_value(text: str) -> int | None:
    if text and all(char in _CN_PLAIN_DIGITS for char in text) and len(text) >= 3:
        return _digitwise(text)
    return chinese_to_int(text)


def _arabic(text: str) -> tuple[Decimal, int]:
    plain = text.translate(_FULLWIDTH).replace(",", "")
    value = Decimal(plain)
    decimals = len(plain.split(".", 1)[1]) if "." in plain else 0
    return value, decimals


def _any_int(text: str) -> int | None:
    plain = text.translate(_FULLWIDTH)
    if plain.isdigit():
        return int(plain)
    return _cn_value(text)


# ── word lists ──────────────────────────────────────────────────────────────

#: Phrases whose numerals are names, not numbers.
IDIOMS: tuple[str, ...] = (
    "十二五", "十三五", "十四五", "十五五", "一网通办", "一网统管", "一网协同", "一体化", "一站式", "一把手", "一口受理",
    "一窗受理", "一窗通办", "一次性", "一次办", "最多跑一次", "一件事", "一张网", "一朵云", "一张图", "一张表", "一本账",
    "一盘棋", "一条龙", "一揽子", "一刀切", "一码通", "一证通", "一卡通", "一门式", "一部分", "三创三争三好", "三重一大",
    "两学一做", "四个全面", "四个意识", "四个自信", "两个维护", "两个确立", "三个代表", "五位一体", "一带一路", "五险一金",
    "一老一小", "一事一议", "一案一策", "一企一策", "一人一档", "一对一", "十分", "万分", "千方百计", "百姓", "万物互联",
    "四个一", "三个一", "一号文件", "一把尺", "一张蓝图", "一站通", "一屏", "一键", "统一", "唯一", "一致", "一定",
    "一般", "一些", "一直", "一起", "一旦", "一切", "一律", "一并", "一同", "一贯", "一线", "一流", "一体", "一方面",
    "进一步", "第一时间", "一手", "零距离", "零跑腿", "零材料", "零见面", "三公经费", "一窗", "一网", "一次办成",
    "三位一体", "四位一体", "八项规定", "六个一", "五个一", "一次都不跑", "一长四必", "二次", "个五年规划", "个五年计划",
)
_IDIOM_RE = re.compile("|".join(sorted(map(re.escape, IDIOMS), key=len, reverse=True)))

#: A ``一`` right after these characters is part of a word (统一, 唯一, 之一, 进一步, 下一年度).
_ONE_AFTER = set("统唯同进之逐划专单归整如万下上第其每任")
#: Round numerals after these characters are vague (数十个, 几百, 上千).
_VAGUE_BEFORE = set("数几若上近成")
#: Between two numbers these make a range or a list: the first takes the second's unit (3-5年, 三、四个).
RANGE_CONNECTORS = ("-", "–", "—", "－", "~", "～", "至", "到", "、", "或")

_HOTLINE = re.compile(r"123\d\d")
_HOTLINE_AFTER = ("热线", "政务服务便民热线", "便民热线", "服务热线", "平台", "工单", "报警", "火警", "急救", "指挥")
_EMERGENCY = {"110", "119", "120", "122"}
_AREA_CODE = re.compile(r"0\d{2,3}[-—]\Z")
_FINANCIAL = set("壹贰叁肆伍陆柒捌玖拾佰仟")

# ── regular expressions ─────────────────────────────────────────────────────

_DIGIT = "0-9０-９"
_NUM = rf"[{_DIGIT}]"
_NOT_NUM_BEFORE = rf"(?<![{_DIGIT}.．])"

_DOC_NUMBER = re.compile(
    r"[〔［\[【（(]\s*((?:19|20)\d{2})\s*[〕］\]】）)]\s*(第\s*)?(\d+)\s*号"
)
_DOC_YEAR = re.compile(r"〔\s*((?:19|20)\d{2})\s*〕")
#: Standard numbers (GB/T 22239-2019, ISO/IEC 27001): the prefix and a space, then the number.
_STANDARD_CODE = re.compile(
    r"(?<![A-Za-z])(?:[A-Z]{2,4}/[A-Z]{1,3}|GB|ISO(?:/IEC)?|IEC|DB\d{2}|JGJ|CJJ)[ \u00a0]?\d+(?:[.:\-—]\d+)*"
)
_ALNUM_CODE = re.compile(
    r"(?<![A-Za-z0-9_])(?:[A-Za-z_][A-Za-z0-9_]*\d[A-Za-z0-9_]*(?:\.\d+)*|\d+(?:\.\d+)?[A-Za-z][A-Za-z0-9_]*)"
)
_DIGIT_RUN = re.compile(r"\d+(?:\.\d+)?")

_Y = rf"(?P<y>{_NUM}{{4}}|[{_CN_PLAIN_DIGITS}]{{4}})\s*年"
_M = rf"(?P<m>{_NUM}{{1,2}}|[{_CN_SMALL}]{{1,3}})\s*月份?"
_D = rf"(?P<d>{_NUM}{{1,2}}|[{_CN_SMALL}]{{1,3}})\s*[日号]"
_FULL_DATE = re.compile(rf"{_NOT_NUM_BEFORE}{_Y}\s*{_M}(?:\s*{_D})?")
_MONTH_DAY = re.compile(rf"{_NOT_NUM_BEFORE}(?<![统唯同进个第]){_M}\s*{_D}")
_MONTH = re.compile(rf"{_NOT_NUM_BEFORE}(?<![统唯同进个第]){_M}")
_ISO_DATE = re.compile(rf"{_NOT_NUM_BEFORE}(?P<y>\d{{4}})\s*[-/.．]\s*(?P<m>\d{{1,2}})\s*[-/.．]\s*(?P<d>\d{{1,2}})(?![\d.])")
_ISO_MONTH = re.compile(rf"{_NOT_NUM_BEFORE}(?P<y>\d{{4}})[-/](?P<m>\d{{1,2}})(?![\d./\-])")
_YEAR_RANGE = re.compile(
    rf"{_NOT_NUM_BEFORE}(?P<a>\d{{4}})(?P<ua>\s*年度?)?\s*(?:[-–—－~～至到]|——)\s*(?P<b>\d{{4}})(?P<ub>\s*年度?)?(?![\d.])"
)
_YEAR = re.compile(rf"{_NOT_NUM_BEFORE}(?P<y>{_NUM}{{4}}|[{_CN_PLAIN_DIGITS}]{{4}})\s*年(?P<du>度)?")
_CLOCK = re.compile(rf"{_NOT_NUM_BEFORE}(?:\d{{1,2}}\s*[时点]\s*\d{{1,2}}\s*分(?!钟)|(?:[01]?\d|2[0-3])[:：][0-5]\d(?![\d:]))")
_DAY = re.compile(rf"{_NOT_NUM_BEFORE}(?P<d>\d{{1,2}})\s*日(?!内|以内|之内|后|常|期|志|程|起|报)")

_ORDINAL_DI = re.compile(rf"第\s*(?P<n>{_NUM}+|[{_CN_CHARS}]+)")
_ORDINAL_QI = re.compile(r"其(?P<n>[一二三四五六七八九十])(?![一二三四五六七八九十个项条次例])")
_ORDINAL_PAREN = re.compile(rf"[（(]\s*(?P<n>{_NUM}{{1,2}}|[{_CN_SMALL}]{{1,3}})\s*[）)]")
_ORDINAL_REF = re.compile(
    rf"(?:附件|附表|附图|图表|(?<![代发列填报])表|(?<![地视试企意蓝草构])图|序号|编号|章节|条款)\s*(?P<n>{_NUM}+(?:[-.．—]{_NUM}+)*)"
)
_LINE_NUMBER = re.compile(rf"(?P<n>{_NUM}{{1,2}})\s*(?:[.．、]|[)）])")
_LINE_HEADING = re.compile(rf"(?P<n>{_NUM}{{1,2}}(?:[.．]{_NUM}{{1,2}}){{1,3}})(?=\s*[\u4e00-\u9fff])")
_LINE_CN = re.compile(rf"(?P<n>[{_CN_SMALL}]{{1,3}})\s*、")
_PERCENT_WORDS = re.compile(rf"百分之\s*(?P<n>{_NUM}+(?:[.．]{_NUM}+)?|[{_CN_CHARS}]+)")
_ARABIC = re.compile(rf"{_NOT_NUM_BEFORE}(?:{_NUM}{{1,3}}(?:,{_NUM}{{3}})+|{_NUM}+)(?:[.．]{_NUM}+)?(?![{_DIGIT}])")
_CHINESE = re.compile(rf"[{_CN_CHARS}]+")
_MARKUP = re.compile(r"<[^<>\n]*>|\[bookmark:[^\]\n]*\]")


# ── the scanner ─────────────────────────────────────────────────────────────


@dataclass
class _Token:
    number: ParsedNumber
    claim_end: int
    pending: bool = False  # a Chinese numeral waiting for the next number of its range or list


class _Scanner:
    """Holds the text, the claimed characters and the tokens found so far."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.claimed = bytearray(len(text))
        self.tokens: list[_Token] = []

    def free(self, start: int, end: int) -> bool:
        return not any(self.claimed[start:end])

    def claim(self, start: int, end: int) -> None:
        self.claimed[start:end] = b"\x01" * (end - start)

    def add(self, number: ParsedNumber, claim_end: int | None = None, pending: bool = False) -> None:
        self.tokens.append(_Token(number, claim_end if claim_end is not None else number.end, pending))

    def matches(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """Matches of ``pattern`` that touch no claimed character."""
        for match in pattern.finditer(self.text):
            if match.end() > match.start() and self.free(match.start(), match.end()):
                yield match

    # ── context helpers ─────────────────────────────────────────────────────
    def at_segment_start(self, pos: int) -> bool:
        """True at the start of a line (after markup and spaces) or right after ：；。 — where numbering begins."""
        line_start = max(self.text.rfind("\n", 0, pos), self.text.rfind("\t", 0, pos), self.text.rfind("\r", 0, pos)) + 1
        before = self.text[line_start:pos].rstrip(_SPACES)
        if before and before[-1] in ">]":
            before = _MARKUP.sub("", before).rstrip(_SPACES)
        return before == "" or before[-1] in "：:；;。！？"

    def unit_at(self, pos: int) -> tuple[str | None, int]:
        """The unit written from ``pos`` (after at most two spaces; ``余``/``多`` may precede it)."""
        text = self.text
        start = pos
        while start < len(text) and text[start] in _SPACES and start - pos < 2:
            start += 1
        unit, end = self._unit_from(start)
        if unit is None and start < len(text) and text[start] in "余多":
            unit, end = self._unit_from(start + 1)
        return (unit, end) if unit is not None else (None, pos)

    def _unit_from(self, pos: int) -> tuple[str | None, int]:
        text = self.text
        if pos >= len(text):
            return None, pos
        for unit in _UNITS_BY_FIRST.get(text[pos], ()):
            if text.startswith(unit, pos) and self._unit_allowed(unit, pos + len(unit)):
                return unit, pos + len(unit)
        for prefix in MULTIPLIERS:
            if text.startswith(prefix, pos):
                after = pos + len(prefix)
                if after < len(text) and text[after] in "余多":
                    after += 1
                for unit in _UNITS_BY_FIRST.get(text[after], ()) if after < len(text) else ():
                    if text.startswith(unit, after) and self._unit_allowed(unit, after + len(unit)):
                        name = prefix + unit
                        return (name if unit_info(name) else prefix), after + len(unit)
                return prefix, pos + len(prefix)
        return None, pos

    def _unit_allowed(self, unit: str, after: int) -> bool:
        blocked = NOT_BEFORE.get(unit)
        return not (blocked and after < len(self.text) and self.text[after] in blocked)


def _number(text: str, start: int, end: int, value: int | Decimal, role: Role, *, kind: NumeralKind = "arabic",
            decimals: int = 0, unit: str | None = None, date: DateParts | None = None) -> ParsedNumber:
    return ParsedNumber(text[start:end], start, end, Decimal(value), decimals, unit, kind, role, date)


def _kind_of(numeral: str) -> NumeralKind:
    return "chinese" if numeral and numeral[0] in _CN_CHARS else "arabic"


# ── passes ──────────────────────────────────────────────────────────────────


def _pass_idioms(s: _Scanner) -> None:
    for match in s.matches(_IDIOM_RE):
        before = s.text[match.start() - 1] if match.start() else ""
        if match.group()[0] in _CN_CHARS and before and before in _CN_CHARS:
            continue  # 九十分 is ninety points, not 九 + 十分
        s.claim(match.start(), match.end())


def _pass_doc_numbers(s: _Scanner) -> None:
    for match in s.matches(_DOC_NUMBER):
        for group in (1, 3):
            s.add(_number(s.text, match.start(group), match.end(group), int(match.group(group)), "doc_number"))
        s.claim(match.start(), match.end())
    for match in s.matches(_DOC_YEAR):
        s.add(_number(s.text, match.start(1), match.end(1), int(match.group(1)), "doc_number"))
        s.claim(match.start(), match.end())


def _pass_codes(s: _Scanner) -> None:
    for pattern in (_STANDARD_CODE, _ALNUM_CODE):
        for match in s.matches(pattern):
            for run in _DIGIT_RUN.finditer(match.group()):
                start = match.start() + run.start()
                value, decimals = _arabic(run.group())
                s.add(_number(s.text, start, start + len(run.group()), value, "code", decimals=decimals))
            s.claim(match.start(), match.end())


def _date_parts(match: re.Match[str]) -> DateParts | None:
    """(year, month, day) of a date match, or ``None`` when a part is out of range (2023年13月 is no date)."""
    groups = match.groupdict()
    year, month, day = (None if groups.get(name) is None else _any_int(groups[name]) for name in ("y", "m", "d"))
    if year is not None and not 1900 <= year <= 2100:
        return None
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None and not 1 <= day <= 31:
        return None
    return year, month, day


def _add_date(s: _Scanner, match: re.Match[str], parts: DateParts) -> None:
    first = next(name for name in ("y", "m", "d") if match.groupdict().get(name) is not None)
    raw = match.group(first)
    kind = _kind_of(raw)
    end = match.end()
    role: Role = "year" if parts[1] is None and parts[2] is None else "date"
    lead = next(part for part in parts if part is not None)
    s.add(_number(s.text, match.start(first), end, lead, role, kind=kind, date=parts))
    s.claim(match.start(), end)


def _pass_dates(s: _Scanner) -> None:
    for pattern in (_ISO_DATE, _FULL_DATE, _MONTH_DAY):
        for match in s.matches(pattern):
            parts = _date_parts(match)
            if parts is not None:
                _add_date(s, match, parts)
    for match in s.matches(_YEAR_RANGE):
        a, b = int(match.group("a")), int(match.group("b"))
        has_year_word = bool(match.group("ua") or match.group("ub"))
        if 1900 <= a <= b <= 2100 and (has_year_word or b - a <= 50):
            for name, unit_group in (("a", "ua"), ("b", "ub")):
                end = match.end(unit_group) if match.group(unit_group) else match.end(name)
                value = int(match.group(name))
                s.add(_number(s.text, match.start(name), end, value, "year", date=(value, None, None)))
            s.claim(match.start(), match.end())
    for pattern in (_ISO_MONTH, _YEAR, _MONTH):
        for match in s.matches(pattern):
            parts = _date_parts(match)
            if parts is not None:
                _add_date(s, match, parts)
    for match in s.matches(_CLOCK):
        hour = int(re.findall(r"\d+", match.group())[0])
        s.add(_number(s.text, match.start(), match.end(), hour, "date"))
        s.claim(match.start(), match.end())
    for match in s.matches(_DAY):
        day = int(match.group("d"))
        if 1 <= day <= 31:
            s.add(_number(s.text, match.start("d"), match.end(), day, "date", date=(None, None, day)))
            s.claim(match.start(), match.end())


def _add_ordinal(s: _Scanner, match: re.Match[str], claim_start: int | None = None, claim_end: int | None = None) -> None:
    raw = match.group("n")
    start, end = match.start("n"), match.end("n")
    head = re.match(r"[0-9０-９]+", raw)
    value = _arabic(head.group())[0] if head else _cn_value(raw)
    if value is None:
        return
    s.add(_number(s.text, start, end, value, "ordinal", kind=_kind_of(raw)))
    s.claim(match.start() if claim_start is None else claim_start, match.end() if claim_end is None else claim_end)


def _pass_ordinal_di(s: _Scanner) -> None:
    for match in s.matches(_ORDINAL_DI):
        _add_ordinal(s, match)


def _pass_ordinals(s: _Scanner) -> None:
    for pattern in (_ORDINAL_QI, _ORDINAL_PAREN):
        for match in s.matches(pattern):
            _add_ordinal(s, match)
    for match in s.matches(_ORDINAL_REF):
        if s.unit_at(match.end())[0] is None:
            _add_ordinal(s, match)
    for pattern in (_LINE_HEADING, _LINE_NUMBER, _LINE_CN):
        for match in s.matches(pattern):
            if not s.at_segment_start(match.start()):
                continue
            after = match.end()
            if pattern is _LINE_NUMBER and match.group().rstrip()[-1] in ".．" and after < len(s.text):
                if s.text[after] in "0123456789０１２３４５６７８９" and not s.claimed[after]:
                    continue  # 1.92 is a decimal, not item 1
            if pattern is _LINE_HEADING and s.unit_at(after)[0] is not None:
                continue  # 1.5亿元 is an amount, not heading 1.5
            _add_ordinal(s, match)


def _pass_percent_words(s: _Scanner) -> None:
    for match in s.matches(_PERCENT_WORDS):
        raw = match.group("n")
        if raw[0] in _CN_CHARS:
            value = _cn_value(raw)
            if value is None:
                continue
            number = _number(s.text, match.start(), match.end(), value, "quantity", kind="chinese", unit="%")
        else:
            amount, decimals = _arabic(raw)
            number = _number(s.text, match.start(), match.end(), amount, "quantity", decimals=decimals, unit="%")
        s.add(number)
        s.claim(match.start(), match.end())


def _arabic_role(s: _Scanner, raw: str, end: int, unit: str | None) -> Role:
    info = unit_info(unit)
    if info is not None and info.role != "quantity":
        return info.role
    if unit is not None:
        return "quantity"
    digits = raw.translate(_FULLWIDTH)
    if "," in digits or "." in digits:
        return "quantity"
    after = s.text[end:end + 12].lstrip(_SPACES)
    if len(digits) >= 11 or (len(digits) > 1 and digits[0] == "0") or _AREA_CODE.search(s.text, 0, end - len(raw)):
        return "code"  # telephone numbers, identifiers, zero-padded codes
    if digits == "12345" or after.startswith("热线"):
        return "code"  # the government service hotline is a name
    if (_HOTLINE.fullmatch(digits) or digits in _EMERGENCY) and after.startswith(_HOTLINE_AFTER):
        return "code"
    if len(digits) == 4 and 1900 <= int(digits) <= 2100:
        before = s.text[max(0, end - len(raw) - 8):end - len(raw)].rstrip(_SPACES + "\t：:为是")
        if before.endswith(("年份", "年度", "年")):
            return "year"  # 项目年份：2020
    return "quantity"


def _pass_arabic(s: _Scanner) -> None:
    for match in s.matches(_ARABIC):
        raw = match.group()
        value, decimals = _arabic(raw)
        unit, unit_end = s.unit_at(match.end())
        end = match.end()
        if unit in ("%", "％", "‰"):
            end = unit_end
        if unit_end > match.end() and not s.free(match.end(), unit_end):
            unit, unit_end = None, match.end()
        role = _arabic_role(s, raw, match.end(), unit)
        date = (int(value), None, None) if role == "year" else None
        s.add(_number(s.text, match.start(), end, value, role, decimals=decimals, unit=unit, date=date), claim_end=max(end, unit_end))
        s.claim(match.start(), max(end, unit_end))


def _split_multiplier(run: str) -> tuple[str, int]:
    """``五十万`` → (``五十``, 1): the trailing 万/亿 is the unit's multiplier (五十万元 = 50 万元)."""
    if len(run) >= 2 and run[-1] in _CN_BIG_UNITS:
        return run[:-1], 1
    return run, 0


def _chinese_tokens(s: _Scanner, match: re.Match[str]) -> list[tuple[int, int, int]]:
    """(start, end, value) for a Chinese numeral run; a run such as 三四 (three or four) gives two."""
    run = match.group()
    core, _ = _split_multiplier(run)
    value = _cn_value(core)
    if value is not None:
        return [(match.start(), match.start() + len(core), value)]
    if any(char in _CN_SMALL_UNITS or char in _CN_BIG_UNITS for char in core):
        return []
    return [(match.start() + i, match.start() + i + 1, _CN_DIGITS[char]) for i, char in enumerate(core)]


def _next_is_numeral(s: _Scanner, pos: int) -> bool:
    return pos < len(s.text) and (s.text[pos] in _CN_CHARS or s.text[pos] in "0123456789０１２３４５６７８９")


def _pass_chinese(s: _Scanner) -> None:
    text = s.text
    for match in s.matches(_CHINESE):
        run, start = match.group(), match.start()
        before = text[start - 1] if start else ""
        if run[0] in "一壹" and before in _ONE_AFTER:
            continue
        if run[0] in "百千万亿佰仟零〇" or (before in _VAGUE_BEFORE and run[0] in "十拾"):
            continue  # 百姓, 万达, 千方百计, 零见面, 数十个: vague or not a number
        if len(run) == 1 and run in _FINANCIAL:
            continue  # 队伍, 大陆: a lone financial numeral is a word
        tokens = _chinese_tokens(s, match)
        if not tokens:
            continue
        core_end = tokens[-1][1]
        unit, unit_end = s.unit_at(core_end)
        after = text[match.end():match.end() + 1]
        for tok_start, tok_end, value in tokens:
            number = _number(text, tok_start, tok_end, value, "quantity", kind="chinese", unit=unit)
            if after == "是" and value <= 20 and unit is None:
                s.add(replace(number, role="ordinal"))
            elif unit is None and after in RANGE_CONNECTORS and _next_is_numeral(s, match.end() + 1):
                s.add(number, claim_end=match.end(), pending=True)
            elif unit is None and after == "、":
                s.add(replace(number, role="ordinal"))
            elif unit is not None:
                info = unit_info(unit)
                role: Role = info.role if info else "quantity"
                s.add(replace(number, role=role), claim_end=unit_end)
            else:
                continue
            s.claim(tok_start, max(tok_end, unit_end if unit else tok_end))


# ── post-processing ─────────────────────────────────────────────────────────


def _connector_between(s: _Scanner, end: int, start: int) -> str | None:
    between = s.text[end:start].strip(_SPACES)
    return between if between in RANGE_CONNECTORS or between == "——" else None


def _inherit_ranges(s: _Scanner, tokens: list[_Token]) -> list[_Token]:
    """In ``3-5年``, ``100–130%``, ``三、四个`` and ``2019-2023年`` the first number takes the second's unit and role."""
    kept: list[_Token] = []
    following: _Token | None = None
    for token in reversed(tokens):
        number = token.number
        bare = token.pending or (number.role == "quantity" and number.unit is None)
        connector = _connector_between(s, token.claim_end, following.number.start) if following else None
        if bare and following is not None and connector is not None:
            token = _take_from(token, following.number)
        if token.pending:
            if connector == "、" or s.text[token.claim_end:token.claim_end + 1] == "、":
                token = _Token(replace(number, role="ordinal"), token.claim_end)
            else:
                following = None
                continue
        kept.append(token)
        following = token
    kept.reverse()
    return kept


def _take_from(token: _Token, other: ParsedNumber) -> _Token:
    number = token.number
    if other.role == "quantity" and other.unit is not None:
        return _Token(replace(number, unit=other.unit, role="quantity"), token.claim_end)
    if other.role == "ordinal":
        return _Token(replace(number, role="ordinal"), token.claim_end)
    if other.role == "year" and number.decimals == 0 and 1900 <= number.value <= 2100:
        return _Token(replace(number, role="year", date=(int(number.value), None, None)), token.claim_end)
    if other.role == "date" and other.date and other.date[1] is not None and other.date[2] is None:
        if number.decimals == 0 and 1 <= number.value <= 12:
            return _Token(replace(number, role="date", date=(other.date[0], int(number.value), None)), token.claim_end)
    if other.role == "quantity" and token.pending:
        return _Token(replace(number, role="quantity"), token.claim_end)
    return token


def _continue_dates(s: _Scanner, tokens: list[_Token]) -> list[_Token]:
    """``2024年1月23日至24日``: a date that omits its year (and month) takes them from the date before it."""
    result: list[_Token] = []
    previous: ParsedNumber | None = None
    for token in tokens:
        number = token.number
        if number.role == "date" and number.date and number.date[0] is None and previous is not None and previous.date:
            if previous.role in ("date", "year") and _connector_between(s, previous.end, number.start):
                year, month, day = number.date
                if month is None:
                    month = previous.date[1]
                token = _Token(replace(number, date=(previous.date[0], month, day)), token.claim_end)
                number = token.number
        result.append(token)
        previous = number
    return result


def _continue_ordinals(s: _Scanner, tokens: list[_Token]) -> list[_Token]:
    """``第3、4条``, ``第一至三批``: the numbers listed after a 第-ordinal are ordinals too."""
    result: list[_Token] = []
    previous: ParsedNumber | None = None
    in_list = False  # the previous token is a 第-ordinal or continues one
    for token in tokens:
        number = token.number
        after_di = number.role == "ordinal" and s.text[:number.start].rstrip(_SPACES).endswith("第")
        continues = (
            in_list
            and previous is not None
            and number.role in ("quantity", "ordinal")
            and _connector_between(s, previous.end, number.start) is not None
        )
        if continues and number.role == "quantity":
            token = _Token(replace(number, role="ordinal"), token.claim_end)
        result.append(token)
        previous, in_list = token.number, after_di or continues
    return result


_PASSES: tuple[Callable[[_Scanner], None], ...] = (
    _pass_idioms,
    _pass_doc_numbers,
    _pass_codes,
    _pass_ordinal_di,
    _pass_dates,
    _pass_ordinals,
    _pass_percent_words,
    _pass_arabic,
    _pass_chinese,
)


def find_numbers(text: str) -> list[ParsedNumber]:
    """Every number in ``text``, in order, with its value, unit and role (see :class:`ParsedNumber`)."""
    return list(_parse(text))


@lru_cache(maxsize=4096)
def _parse(text: str) -> tuple[ParsedNumber, ...]:
    # Audits and notes repeat ("未扣分，得满分 2.00"): parsed numbers are immutable, so they are shared.
    scanner = _Scanner(text)
    for run_pass in _PASSES:
        run_pass(scanner)
    tokens = sorted(scanner.tokens, key=lambda token: token.number.start)
    tokens = _inherit_ranges(scanner, tokens)
    tokens = _continue_dates(scanner, tokens)
    tokens = _continue_ordinals(scanner, tokens)
    return tuple(token.number for token in tokens)


def quantities(text: str) -> list[ParsedNumber]:
    """Only the numbers that state an amount, a rate, a score or a count."""
    return [number for number in find_numbers(text) if number.role == "quantity"]
