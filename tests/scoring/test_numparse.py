"""The number parser: values, units, roles and spans of the numbers in Chinese report text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import SEEDS, seed_path

from scoring.numparse import ParsedNumber, chinese_to_int, find_numbers


def only(text: str) -> ParsedNumber:
    """The first number of ``text``; the samples are written so that it is the one under test."""
    numbers = find_numbers(text)
    assert numbers, text
    return numbers[0]


def summary(text: str) -> list[tuple[str, str, str | None]]:
    return [(n.text, n.role, n.unit) for n in find_numbers(text)]


# ── Arabic quantities ───────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("text", "value", "decimals", "unit"),
    [
        ("得分82.46分", "82.46", 2, "分"),
        ("合计5,412.69万元", "5412.69", 2, "万元"),
        ("预算执行率95.91%", "95.91", 2, "%"),
        ("满意度95.91％", "95.91", 2, "％"),
        ("金额82.4600万元", "82.46", 4, "万元"),
        ("投资1.2亿元", "1.2", 1, "亿元"),
        ("单价500元", "500", 0, "元"),
        ("发现13例", "13", 0, "例"),
        ("完成3个", "3", 0, "个"),
        ("5项指标", "5", 0, "项"),
        ("登录2次", "2", 0, "次"),
        ("数据10条", "10", 0, "条"),
        ("71个系统", "71", 0, "个"),
        ("扣 0.2 分", "0.2", 1, "分"),
        ("13 例 × 0.2", "13", 0, "例"),
        ("点位79622个", "79622", 0, "个"),
        ("100余万元", "100", 0, "万元"),
        ("15个工作日内", "15", 0, "个工作日"),
        ("提高3个百分点", "3", 0, "个百分点"),
        ("质保期2年", "2", 0, "年"),
        ("10日内完成验收", "10", 0, "日"),
        ("破获案件1329起", "1329", 0, "起"),
    ],
)
def test_arabic_quantities(text: str, value: str, decimals: int, unit: str) -> None:
    number = only(text)
    assert (number.role, number.kind) == ("quantity", "arabic")
    assert number.value == Decimal(value)
    assert number.decimals == decimals
    assert number.unit == unit


def test_percent_sign_is_part_of_the_number_and_its_span() -> None:
    text = "预算执行率95.91%，得1.92分"
    first, second = find_numbers(text)
    assert (first.text, text[first.start:first.end]) == ("95.91%", "95.91%")
    assert (second.text, second.unit, text[second.start:second.end]) == ("1.92", "分", "1.92")


def test_measures_and_scales() -> None:
    amount, yuan, rate, count, big = find_numbers("支出5191.10万元，单价500元，执行率95.91%，13例，7.96万个")
    assert (amount.measure, amount.base_value) == ("money", Decimal("5191.10"))
    assert (yuan.measure, yuan.base_value) == ("money", Decimal("0.05"))
    assert rate.measure == "percent"
    assert count.measure == "count"
    assert (big.unit, big.measure, big.base_value) == ("万个", "count", Decimal("79600"))


def test_words_that_start_like_units_are_not_units() -> None:
    assert only("共3人民币").unit is None
    assert only("形成1部分").unit is None
    assert only("扣3分之多").unit is None


# ── ranges and lists ────────────────────────────────────────────────────────


def test_ranges_are_two_numbers_sharing_the_unit() -> None:
    assert summary("3-5年") == [("3", "quantity", "年"), ("5", "quantity", "年")]
    assert summary("100%–130%") == [("100%", "quantity", "%"), ("130%", "quantity", "%")]
    assert summary("100–130%") == [("100", "quantity", "%"), ("130%", "quantity", "%")]
    assert summary("一到两年") == [("一", "quantity", "年"), ("两", "quantity", "年")]
    assert summary("分别为7.07%、0.09%") == [("7.07%", "quantity", "%"), ("0.09%", "quantity", "%")]


# ── Chinese numerals ────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("三个项目", 3, "个"),
        ("发现两例", 2, "例"),
        ("十一个区县", 11, "个"),
        ("二十三项", 23, "项"),
        ("一百零五条", 105, "条"),
        ("为期一年", 1, "年"),
        ("仅两个系统", 2, "个"),
        ("五十万元", 50, "万元"),
        ("两千万元", 2000, "万元"),
        ("伍拾万元", 50, "万元"),
        ("百分之九十五", 95, "%"),
    ],
)
def test_chinese_quantities(text: str, value: int, unit: str) -> None:
    number = only(text)
    assert (number.role, number.kind, number.value, number.unit) == ("quantity", "chinese", Decimal(value), unit)


def test_arabic_with_chinese_multiplier() -> None:
    number = only("用户5万")
    assert (number.value, number.unit, number.base_value) == (Decimal(5), "万", Decimal(50000))


def test_chinese_to_int() -> None:
    assert [chinese_to_int(t) for t in ("十", "十一", "二十三", "一百零五", "两千", "一万二千", "三千五百")] == [
        10, 11, 23, 105, 2000, 12000, 3500,
    ]
    assert chinese_to_int("十四五") is None
    assert chinese_to_int("一二") is None


@pytest.mark.parametrize(
    "text",
    [
        "一网通办", "推进一体化建设", "统一规划", "“十三五”期间", "《“十四五”推进国家政务信息化规划》", "一站式服务",
        "一把手负责", "一口受理", "进一步加强", "问题之一", "下一年度预算", "十分重要", "千方百计", "三创三争三好",
        "一次性支付", "最多跑一次", "一般债券", "数十个部门", "队伍建设", "五位一体", "中央八项规定", "二次复测",
    ],
)
def test_idioms_are_not_numbers(text: str) -> None:
    assert find_numbers(text) == []


# ── ordinals ────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一是制度不健全", 1), ("三是验收不及时", 3), ("（一）绩效目标", 1), ("一、基本情况", 1), ("第一，", 1),
        ("第二十一条", 21), ("其一，", 1), ("一级指标", 1), ("二级指标", 2), ("三级指标", 3), ("第三条", 3),
        ("第5段", 5), ("1. 资金使用", 1), ("（1）实地调研法", 1), ("(3)问卷调查", 3), ("1、项目概况", 1),
        ("智慧政协（二期）", 2), ("详见表3", 3), ("附件2", 2), ("第一批", 1), ("等保三级", 3), ("第十四个五年规划", 14),
    ],
)
def test_ordinals(text: str, value: int) -> None:
    numbers = find_numbers(text)
    assert numbers and all(n.role == "ordinal" for n in numbers), [(n.text, n.role) for n in numbers]
    assert numbers[0].value == value


def test_line_start_numbering_only_at_line_start() -> None:
    assert [n.role for n in find_numbers("概述\n1.项目背景")] == ["ordinal"]
    assert [(n.role, n.value) for n in find_numbers("1.92分")] == [("quantity", Decimal("1.92"))]
    assert [n.role for n in find_numbers("主要做法：1.加强领导；2.完善制度")] == ["ordinal", "ordinal"]
    assert [n.role for n in find_numbers("[bookmark: _Toc165045835]2.评价指标")] == ["code", "ordinal"]
    assert [n.role for n in find_numbers("<p style=\"text-align: center;\">1.健全组织机构</p>")] == ["ordinal"]


def test_lists_after_di_stay_ordinals() -> None:
    assert [n.role for n in find_numbers("依据第3、4、5条")] == ["ordinal"] * 3
    assert [n.role for n in find_numbers("第一、二批")] == ["ordinal"] * 2
    assert [n.role for n in find_numbers("第三条第二点约定15个工作日")] == ["ordinal", "ordinal", "quantity"]
    assert [n.role for n in find_numbers("另有5个、6个")] == ["quantity", "quantity"]


def test_chinese_list_takes_the_unit_of_its_last_item() -> None:
    assert summary("智慧永州一期、二期项目") == [("一", "ordinal", "期"), ("二", "ordinal", "期")]
    assert summary("历时三、四个月") == [("三", "quantity", "个月"), ("四", "quantity", "个月")]
    assert summary("三、四个月") == [("三", "ordinal", None), ("四", "quantity", "个月")]  # at line start 三、 is a heading


# ── years and dates ─────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("text", "role", "parts"),
    [
        ("2023年", "year", (2023, None, None)),
        ("2023年度", "year", (2023, None, None)),
        ("2023 年度", "year", (2023, None, None)),
        ("二〇二三年", "year", (2023, None, None)),
        ("2023年4月20日", "date", (2023, 4, 20)),
        ("2023年11月", "date", (2023, 11, None)),
        ("4月20日", "date", (None, 4, 20)),
        ("2023-04-20", "date", (2023, 4, 20)),
        ("2023.4.20", "date", (2023, 4, 20)),
        ("2024/4/29", "date", (2024, 4, 29)),
        ("二〇二三年四月二十日", "date", (2023, 4, 20)),
        ("2019年12月底", "date", (2019, 12, None)),
    ],
)
def test_years_and_dates(text: str, role: str, parts: tuple[int | None, ...]) -> None:
    number = only(text)
    assert (number.role, number.date) == (role, parts)


def test_bare_year_after_year_label() -> None:
    assert [(n.role, n.date) for n in find_numbers("项目年份\t2020")] == [("year", (2020, None, None))]
    assert [(n.role, n.unit) for n in find_numbers("共2020个")] == [("quantity", "个")]


def test_year_ranges() -> None:
    assert [(n.role, n.value) for n in find_numbers("2019-2023")] == [("year", 2019), ("year", 2023)]
    assert [(n.role, n.value) for n in find_numbers("（2021-2025年）")] == [("year", 2021), ("year", 2025)]
    assert [(n.role, n.value) for n in find_numbers("2021—2022合同年度")] == [("year", 2021), ("year", 2022)]


def test_date_ranges_inherit_year_and_month() -> None:
    first, second = find_numbers("仅于2024年1月23日至24日举办培训")
    assert (first.date, second.date, second.text) == ((2024, 1, 23), (2024, 1, 24), "24日")
    _, later = find_numbers("2022年3月8日至12月31日")
    assert later.date == (2022, 12, 31)
    start, end = find_numbers("2022年至2023年6月")
    assert (start.role, start.date, end.role, end.date) == ("year", (2022, None, None), "date", (2023, 6, None))


def test_durations_are_not_dates() -> None:
    assert [n.role for n in find_numbers("确认订单后10日内完成验收")] == ["quantity"]
    assert [n.role for n in find_numbers("收到通知书7个工作日内")] == ["quantity"]
    assert [(n.role, n.unit) for n in find_numbers("3个月内")] == [("quantity", "个月")]


# ── document numbers and codes ──────────────────────────────────────────────


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("财预〔2020〕10号", [2020, 10]),
        ("致远绩效评价[2023]第011号", [2023, 11]),
        ("国办发〔2019〕57号", [2019, 57]),
        ("湘财绩〔2020〕7号", [2020, 7]),
        ("永政办发〔2022〕14号", [2022, 14]),
    ],
)
def test_document_numbers(text: str, values: list[int]) -> None:
    numbers = find_numbers(text)
    assert [(n.role, n.value) for n in numbers] == [("doc_number", v) for v in values]


@pytest.mark.parametrize("text", ["5G网络", "IPV6改造", "12345热线", "12345政务服务便民热线", "符合GB/T 22239-2019", "电话0746-8888888", "[bookmark: _Toc165045856]"])
def test_codes(text: str) -> None:
    numbers = find_numbers(text)
    assert numbers and all(n.role == "code" for n in numbers), [(n.text, n.role) for n in numbers]


def test_latin_words_do_not_swallow_quantities() -> None:
    assert summary("上线APP 3个") == [("3", "quantity", "个")]
    assert summary("采购金额1821000元") == [("1821000", "quantity", "元")]
    assert [n.role for n in find_numbers("ISO/IEC 27001:2013认证")] == ["code", "code"]


# ── the seeds: real text ────────────────────────────────────────────────────


def section(number: str, heading: str, next_heading: str) -> str:
    text = seed_path(number).read_text(encoding="utf-8")
    start = text.index(heading)
    return text[start:text.index(next_heading, start)]


def roles_by_text(text: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for number in find_numbers(text):
        found.setdefault(number.text, set()).add(number.role)
    return found


def test_seed_004_problems_section_roles() -> None:
    text = section("004", "六、主要问题", "七、相关建议")
    numbers = find_numbers(text)
    dates = {n.date for n in numbers if n.role == "date"}
    years = {n.value for n in numbers if n.role == "year"}
    assert {(2021, 6, 24), (2020, 11, 27), (2019, 11, None), (2021, 2, 1), (2017, 5, 19), (2024, 3, 27), (2022, 11, None)} <= dates
    assert {Decimal(2016), Decimal(2022), Decimal(2023)} <= years  # 《湖南省2016年…》, 2022年至2023年6月, 2023年度
    quantities = {(n.value, n.unit) for n in numbers if n.role == "quantity"}
    assert {(Decimal("71.73"), "%"), (Decimal(3401), "条"), (Decimal(22), "个工作日"), (Decimal(50), "%"), (Decimal(9), "个"), (Decimal(2), "个"), (Decimal(1), "年"), (Decimal(100), "万元")} <= quantities
    by_text = roles_by_text(text)
    assert by_text["一"] >= {"ordinal"} and "quantity" in by_text["一"]  # 一是… and 为期一年
    assert by_text["三"] == {"ordinal"}  # 三是, 第三条
    assert all(n.role == "code" for n in numbers if n.text.isdigit() and len(n.text) >= 4 and n.text.startswith(("1", "2", "3")) and n.start > 0 and text[n.start - 1] == "c")


def test_seed_002_problems_section_roles() -> None:
    text = section("002", "六、存在问题及原因分析", "七、有关建议")
    numbers = find_numbers(text)
    assert [n.date for n in numbers if n.role == "year"] == [(2023, None, None)] * 3
    assert {n.text for n in numbers if n.role == "year"} == {"2023 年度", "2023 年"}
    line_items = [n for n in numbers if n.role == "ordinal" and n.kind == "arabic"]
    assert [n.value for n in line_items] == [1, 2, 1, 2, 3, 4]
    assert [n for n in numbers if n.role == "quantity"] == []


def test_seed_000_and_001_problems_sections_hold_only_headings_and_markup() -> None:
    text = section("000", "六、存在问题及原因分析", "七、对策建议")
    assert {n.role for n in find_numbers(text)} == {"ordinal", "code"}  # （一）…（五） and the [bookmark: _Toc…] ids
    text = section("001", "六、存在的问题", "七、相关建议")
    assert [(n.text, n.role) for n in find_numbers(text)] == [("六", "ordinal"), ("一", "ordinal"), ("三", "ordinal")]


def test_seed_document_numbers() -> None:
    text = seed_path("000").read_text(encoding="utf-8")
    docs = [n for n in find_numbers(text) if n.role == "doc_number"]
    pairs = {(int(a.value), int(b.value)) for a, b in zip(docs[::2], docs[1::2], strict=True)}
    assert {(2019, 57), (2022, 14), (2020, 10), (2015, 200), (2017, 191)} <= pairs
    assert all(n.role != "year" for n in find_numbers("（宿政办发〔2020〕1号）"))
    header = seed_path("001").read_text(encoding="utf-8")
    assert [(n.text, n.role) for n in find_numbers(header) if n.text in ("011",)] == [("011", "doc_number")]


def test_all_seeds_parse_quickly_and_consistently() -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        numbers = find_numbers(text)
        assert numbers, path.name
        for number in numbers:
            assert text[number.start:number.end] == number.text
            assert number.start < number.end
        starts = [n.start for n in numbers]
        assert starts == sorted(starts)
        assert len(set(starts)) == len(starts)
