"""Check a report against itself: rebuild its indicator tree, recompute every figure, list every difference."""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from checker import rules as report_rules
from checker.case import CaseBuildError, build_case
from checker.document import ReportDoc, load_report, report_from_text
from checker.findings import CheckReport, Finding, IndicatorRow, Place
from checker.statements import (
    FUND_RATIO,
    find_bands,
    find_categories,
    find_document_counts,
    find_formulas,
    find_full_scores,
    find_grades,
    find_items,
    find_mentions,
    find_ratios,
    find_totals,
    find_usages,
    fund_key,
    fund_ratio_kind,
    heading_rank,
    is_percent,
    label_before,
    quantities,
    read_item,
    sentences,
    texts,
)
from checker.tables import read_figure_rows, read_scoring_tables
from checker.tree import Node, Tree, Value, build_tree, level1_key, same_name
from scoring import score_case
from scoring.grades import grade_for
from scoring.models import Band, Case, Grading
from scoring.numbers import HUNDRED, fmt_short, quantize

ZERO = Decimal(0)


def check_report(path: str | Path) -> CheckReport:
    """Read the report at ``path`` and check it (raises :class:`checker.CheckError` for unreadable input)."""
    return check_document(load_report(path))


def check_text(text: str, name: str = "report.txt") -> CheckReport:
    """Check a report given as text (``name``'s extension: .md for Markdown)."""
    return check_document(report_from_text(text, name))


def q(value: Decimal, places: int = 2) -> Decimal:
    return quantize(value, places)


def s(value: Decimal | None) -> str:
    return "—" if value is None else fmt_short(value, 4)


def pct(value: Decimal, places: int) -> str:
    return f"{q(value, places):.{places}f}%"


class _Checker:
    def __init__(self, doc: ReportDoc) -> None:
        self.doc = doc
        self.findings: list[Finding] = []
        self.tables = read_scoring_tables(doc)
        self.tree: Tree = build_tree(self.tables)
        self.case: Case | None = None

    def add(self, kind: str, severity: str, places: list[Place], explanation: str, stated: object = None, recomputed: object = None) -> None:
        unique: list[Place] = []
        for place in places:
            if place not in unique:
                unique.append(place)
        self.findings.append(Finding(kind=kind, severity=severity, places=unique, stated=stated, recomputed=recomputed, explanation=explanation))  # type: ignore[arg-type]

    # ── the tree ─────────────────────────────────────────────────────────────
    def root_for(self, section: list[str]) -> Node | None:
        for title in reversed(section):
            key = re.sub(r"^[（(]?[一二三四五六七八九十\d]+[）)、.．]?", "", title)
            for root in self.tree.roots:
                if level1_key(root.name) and level1_key(root.name) in key:
                    return root
        return None

    def match_leaf(self, title: str, section: list[str]) -> Node | None:
        root = self.root_for(section)
        leaves = root.leaves() if root else self.tree.leaves()
        for test in (
            lambda leaf: leaf.name == title,
            lambda leaf: leaf.name in title or title in leaf.name,
            lambda leaf: leaf.parent is not None and leaf.parent.parent is not None and len(leaf.parent.children) == 1 and leaf.parent.name in title,
        ):
            found = [leaf for leaf in leaves if test(leaf)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                return None
        return None

    def attach_text(self) -> None:
        self.categories = find_categories(self.doc)
        for statement in self.categories:
            root = self.root_for(statement.section)
            if root is None:
                continue
            root.weights.append(Value(statement.weight, statement.place, "text")) if statement.weight is not None else None
            root.scores.append(Value(statement.score, statement.place, "text")) if statement.score is not None else None
            for name, weight, score, place in statement.parts:
                child = next((c for c in root.children if same_name(c.name, name, c.level)), None)
                if child is not None:
                    if weight is not None:
                        child.weights.append(Value(weight, place, "text"))
                    if score is not None:
                        child.scores.append(Value(score, place, "text"))
        self.items = []
        for item in find_items(self.doc):
            leaf = self.match_leaf(item.title, item.section)
            if leaf is None:
                continue
            self.items.append((item, leaf))
            if not leaf.scores and leaf.weight is not None:
                score = item.score
                if score is None and item.deduction is not None:
                    score = leaf.weight - item.deduction
                if score is None and item.full:
                    score = leaf.weight
                if score is not None:
                    leaf.scores.append(Value(score, item.place, "text"))

    # ── recomputation ────────────────────────────────────────────────────────
    def recompute(self) -> tuple[dict[int, tuple[Decimal | None, Decimal | None]], Decimal | None]:
        """Children sums per node (id → (weight, score)) and the total; through the engine when the tree makes a case."""
        sums: dict[int, tuple[Decimal | None, Decimal | None]] = {}
        for node in reversed(list(self.tree.walk())):
            if not node.children:
                continue
            weights = [self.weight_of(child, sums) for child in node.children]
            scores = [self.score_of(child, sums) for child in node.children]
            sums[id(node)] = (
                sum(weights, ZERO) if all(w is not None for w in weights) else None,  # type: ignore[arg-type]
                sum(scores, ZERO) if all(v is not None for v in scores) else None,  # type: ignore[arg-type]
            )
        root_scores = [self.score_of(root, sums) for root in self.tree.roots]
        total = sum(root_scores, ZERO) if root_scores and all(v is not None for v in root_scores) else None  # type: ignore[arg-type]
        if self.case is not None and total is not None:
            result = score_case(self.case)
            total = result.total  # the engine's sum of the (rounded) leaves
            by_path = {node.path: node for node in result.nodes}
            for node in self.tree.walk():
                engine = by_path.get(_case_path(node))
                if node.children and engine is not None and sums[id(node)][1] is not None:
                    sums[id(node)] = (sums[id(node)][0], engine.score)
        return sums, total

    @staticmethod
    def weight_of(node: Node, sums: dict) -> Decimal | None:
        return node.weight if node.weight is not None else (sums.get(id(node), (None, None))[0])

    @staticmethod
    def score_of(node: Node, sums: dict) -> Decimal | None:
        return node.score if node.score is not None else (sums.get(id(node), (None, None))[1])

    # ── checks ───────────────────────────────────────────────────────────────
    def check_repeated_nodes(self) -> None:
        for node in self.tree.walk():
            for field, label in (("weights", "分值"), ("scores", "得分")):
                values: list[Value] = getattr(node, field)
                distinct: dict[Decimal, Value] = {}
                for value in values:
                    distinct.setdefault(q(value.value), value)
                if len(distinct) > 1:
                    listed = "；".join(f"第{v.place.line}行写作 {s(v.value)}" for v in distinct.values())
                    self.add("repeated", "error", [v.place for v in distinct.values()],
                             f"“{node.path}”的{label}前后不一致：{listed}。请核实并统一。",
                             values[0].value, list(distinct.values())[1].value)
        for values, label in ((self.tree.totals, "总得分"), (self.tree.full_scores, "总分值")):
            distinct = {}
            for value in values:
                distinct.setdefault(q(value.value), value)
            if len(distinct) > 1:
                listed = "；".join(f"第{v.place.line}行写作 {s(v.value)}" for v in distinct.values())
                self.add("repeated", "error", [v.place for v in distinct.values()], f"评分表中的{label}前后不一致：{listed}。", values[0].value, list(distinct.values())[1].value)

    def check_sums(self, sums: dict, total: Decimal | None) -> None:
        for node in self.tree.walk():
            if not node.children:
                continue
            weight_sum, score_sum = sums[id(node)]
            children = node.children
            child_places = [v.place for child in children[:3] for v in (child.weights[:1] or child.scores[:1])]
            if node.weights and weight_sum is not None and q(node.weights[0].value) != q(weight_sum):
                parts = " + ".join(s(self.weight_of(child, sums)) for child in children)
                self.add("weight_sum", "error", [node.weights[0].place, *child_places],
                         f"“{node.path}”分值写作 {s(node.weights[0].value)}，但其下级指标分值合计为 {parts} = {s(weight_sum)}。",
                         node.weights[0].value, weight_sum)
            if node.scores and score_sum is not None and q(node.scores[0].value) != q(score_sum):
                parts = " + ".join(s(self.score_of(child, sums)) for child in children)
                self.add("leaf_sum", "error", [node.scores[0].place, *child_places],
                         f"“{node.path}”得分写作 {s(node.scores[0].value)}，但其下级指标得分合计为 {parts} = {s(score_sum)}。",
                         node.scores[0].value, score_sum)
        weights = [self.weight_of(root, sums) for root in self.tree.roots]
        self.full = sum(weights, ZERO) if weights and all(w is not None for w in weights) else None  # type: ignore[arg-type]
        stated_full = self.tree.full_scores + [value for value in self.text_full]
        for value in stated_full:
            if self.full is not None and q(value.value) != q(self.full):
                parts = " + ".join(f"{root.name} {s(w)}" for root, w in zip(self.tree.roots, weights))
                self.add("weight_sum", "error", [value.place, *[r.weights[0].place for r in self.tree.roots if r.weights][:4]],
                         f"报告写总分值 {s(value.value)}，但一级指标分值合计为 {parts} = {s(self.full)}。", value.value, self.full)
                break
        self.recomputed_total = total
        if total is None:
            return
        for value in self.tree.totals + self.text_totals:
            if q(value.value) != q(total):
                severity = "warning" if value.value == q(total, _places(value.value)) else "error"
                parts = " + ".join(f"{root.name} {s(self.score_of(root, sums))}" for root in self.tree.roots)
                self.add("total", severity, [value.place, *[r.scores[0].place for r in self.tree.roots if r.scores][:4]],
                         f"报告写总得分 {s(value.value)}，但各一级指标得分合计为 {parts} = {s(total)}。"
                         + ("（仅为取整差异）" if severity == "warning" else ""), value.value, total)

    def check_rates(self) -> None:
        checked: set[tuple[int, Decimal]] = set()
        rows: list[tuple[Decimal | None, Decimal | None, Decimal | None, Place, str]] = []
        for table in self.tables:
            for row in table.rows:
                rows.append((row.weight, row.score, row.rate, row.place, "/".join(row.path)))
            for summary in table.totals + table.subtotals:
                rows.append((summary.weight, summary.score, summary.rate, summary.place, "/".join(summary.parent) or "合计"))
        for statement in self.categories:
            rows.append((statement.weight, statement.score, statement.rate, statement.place, " > ".join(statement.section[-1:])))
        for weight, score, rate, place, name in rows:
            if rate is None or weight in (None, ZERO) or score is None or (place.line, rate) in checked:
                continue
            checked.add((place.line, rate))
            places = _places(rate)
            expected = score / weight * HUNDRED  # type: ignore[operator]
            if q(rate, places) != q(expected, places):
                severity = "warning" if _truncated(expected, places) == rate else "error"
                self.add("rate", severity, [place], f"“{name}”得分率写作 {rate}%，但得分 {s(score)} ÷ 分值 {s(weight)} = {pct(expected, max(places, 2))}。", rate, q(expected, max(places, 2)))

    def check_grade(self) -> None:
        grades = find_grades(self.doc)
        bands, band_place = find_bands(self.doc)
        self.bands = bands
        self.grading = Grading(bands=[Band(name=n, min=v) for n, v in bands]) if bands else Grading()
        names = {band.name for band in self.grading.bands}
        self.stated_grade = grades[0].name if grades else None
        full = self.full or (self.tree.full_scores[0].value if self.tree.full_scores else None) or Decimal(100)
        self.full_score = full
        totals = self.text_totals + self.tree.totals
        stated_total = totals[0].value if totals else None
        self.stated_total = stated_total
        self.recomputed_grade = grade_for(self.recomputed_total, full, self.grading) if self.recomputed_total is not None else None
        distinct = {}
        for grade in grades:
            distinct.setdefault(grade.name, grade)
        if len(distinct) > 1:
            self.add("repeated", "error", [g.place for g in distinct.values()], "报告前后所写等级不一致：" + "；".join(f"第{g.place.line}行为“{g.name}”" for g in distinct.values()) + "。")
        if not grades or self.stated_grade not in names:
            return
        extra = [band_place] if band_place else []
        if stated_total is not None:
            own = grade_for(stated_total, full, self.grading)
            if own != self.stated_grade:
                rule = "按报告所列等级标准" if bands else "按通用等级标准（90 分以上优、80 分以上良、60 分以上中）"
                self.add("grade", "error", [grades[0].place, totals[0].place, *extra],
                         f"报告总得分 {s(stated_total)}，{rule}应评为“{own}”，报告却写“{self.stated_grade}”。", self.stated_grade, own)
                return
        if self.recomputed_grade is not None and self.recomputed_grade != self.stated_grade:
            self.add("grade", "error", [grades[0].place, *extra],
                     f"按重算总分 {s(self.recomputed_total)} 应评为“{self.recomputed_grade}”，报告写“{self.stated_grade}”。", self.stated_grade, self.recomputed_grade)

    def check_items(self) -> None:
        for item, leaf in self.items:
            weight = leaf.weight
            table = next((v for v in leaf.scores if v.source != "text"), None)
            score = item.score if item.score is not None else (weight - item.deduction if weight is not None and item.deduction is not None else None)
            if item.score is None and item.full and weight is not None:
                score = weight
            if weight is not None and item.deduction is not None and item.score is not None and q(weight - item.deduction) != q(item.score):
                self.add("deduction", "error", [item.place, *([leaf.weights[0].place] if leaf.weights else [])],
                         f"“{leaf.name}”分值 {s(weight)}，正文写扣 {s(item.deduction)} 分、得 {s(item.score)} 分，但 {s(weight)} − {s(item.deduction)} = {s(weight - item.deduction)}。",
                         item.score, weight - item.deduction)
                continue
            if table is not None and score is not None and q(table.value) != q(score):
                said = f"得 {s(item.score)} 分" if item.score is not None else (f"扣 {s(item.deduction)} 分" if item.deduction is not None else "得满分")
                self.add("deduction", "error", [item.place, table.place],
                         f"“{leaf.name}”正文写{said}（即 {s(score)} 分），评分表中得分为 {s(table.value)}。", score, table.value)
            elif weight is not None and score is not None and score > weight:
                self.add("score_above_weight", "error", [item.place], f"“{leaf.name}”得分 {s(score)} 超过分值 {s(weight)}。", score, weight)
        for table in self.tables:
            for row in table.rows:
                if not row.note or row.weight is None or row.score is None:
                    continue
                deduction, score, full, _, _ = read_item(row.note)
                if deduction is not None and q(row.weight - deduction) != q(row.score):
                    self.add("deduction", "error", [row.place],
                             f"“{row.path[-1]}”分值 {s(row.weight)}、得分 {s(row.score)}，说明中却写扣 {s(deduction)} 分（{s(row.weight)} − {s(deduction)} = {s(row.weight - deduction)}）。",
                             deduction, row.weight - row.score)
                elif deduction is None and full and row.score != row.weight:
                    self.add("deduction", "error", [row.place], f"“{row.path[-1]}”说明写得满分，但得分 {s(row.score)}、分值 {s(row.weight)}。", row.score, row.weight)

    def check_counts(self) -> None:
        def count_at(scope: list[Node], level: int) -> int:
            return sum(1 for root in scope for node in root.walk() if node.level == level)

        depth = max((node.level for node in self.tree.walk()), default=0)
        statements = [(level, count, place, statement.section, True) for statement in self.categories for level, count, place in statement.counts]
        document = [(level, count, place, section, False) for level, count, place, section in find_document_counts(self.doc)]
        for level, count, place, section, in_category in statements + document:
            root = self.root_for(section)
            if in_category and root is None:
                continue  # a category summary whose category is not in the table
            scope = [root] if root is not None else self.tree.roots
            actual = count_at(scope, level)
            if level > depth or not actual or count == actual or (root is not None and level <= root.level):
                continue
            where = f"“{root.name}”下" if root is not None else "评分表中共"
            self.add("count", "warning", [place], f"正文写有 {count} 个{'一二三四'[level - 1]}级指标，{where}为 {actual} 个。", count, actual)

    def check_rules(self) -> None:
        for rule in report_rules.find_target_rules(self.doc):
            root = self.tree.root(rule.category)
            if root is None:
                continue
            for leaf in root.leaves():
                row = leaf.row
                if row is None or leaf.weight is None or leaf.score is None:
                    continue
                target, actual = report_rules.target_value(row.target), report_rules.target_value(row.actual)
                if target is None or actual is None or target <= 0:
                    continue
                expected, audit = report_rules.apply_target(rule.spec, leaf.weight, target, actual)
                if q(expected) != q(leaf.score):
                    self.add("rule", "error", [row.place, rule.place],
                             f"“{leaf.name}”目标值 {row.target}、实际完成值 {row.actual}，按报告自身的评分规则（“{rule.category}”类）：{audit}；报告却给 {s(leaf.score)} 分。",
                             leaf.score, q(expected))
        for leaf in self.tree.leaves():
            row = leaf.row
            if row is None or leaf.weight is None or leaf.score is None:
                continue
            rule = report_rules.find_per_finding(row.criteria) or report_rules.find_per_finding(row.note)
            if rule is None:
                continue
            deduction = leaf.weight - leaf.score
            counted = report_rules.stated_count(row.note, rule.unit)
            if counted is not None:
                count, same_sentence = counted
                expected = min(count * rule.per, leaf.weight)
                if q(expected) != q(deduction):
                    self.add("rule", "error" if same_sentence else "warning", [row.place],
                             f"“{leaf.name}”按“每{rule.unit}扣 {s(rule.per)} 分”，说明中共 {count} {rule.unit}，应扣 {s(expected)} 分、得 {s(leaf.weight - expected)} 分；评分表得分 {s(leaf.score)}（扣 {s(deduction)} 分）。",
                             leaf.score, leaf.weight - expected)
            elif ZERO < deduction < leaf.weight and (deduction / rule.per) != (deduction / rule.per).to_integral_value():
                self.add("rule", "warning", [row.place],
                         f"“{leaf.name}”按“每{rule.unit}扣 {s(rule.per)} 分”评分，但扣分 {s(deduction)} 不是 {s(rule.per)} 的整数倍。", deduction, None)

    def check_formulas(self) -> set[tuple[int, int]]:
        seen: set[tuple[int, int]] = set()
        for formula in find_formulas(self.doc):
            a, b, c = formula.a, formula.b, formula.c
            seen.add((formula.place.line, c.start))
            factor = b.value / HUNDRED if is_percent(b) else b.value
            if formula.kind == "times":
                expected = a.value * factor
                shown = f"{a.text} × {b.text}"
            else:
                if b.value == 0:
                    continue
                expected = a.base_value / b.base_value if a.measure == b.measure == "money" else a.value / b.value
                expected = expected * HUNDRED if is_percent(c) else expected
                shown = f"{a.text} ÷ {b.text}"
            places = c.decimals
            if q(expected, places) != c.value:
                severity = "warning" if _truncated(expected, places) == c.value else "error"
                unit = "%" if is_percent(c) else (c.unit or "")
                self.add("ratio", severity, [formula.place],
                         f"算式“{formula.quote}”有误：{shown} = {fmt_short(q(expected, max(places, 2)), max(places, 2))}{unit}，报告写 {c.text}{'' if is_percent(c) else unit}。"
                         + ("（末位为截尾而非四舍五入）" if severity == "warning" else ""), c.value, q(expected, max(places, 2)))
        return seen

    def check_ratios(self) -> None:
        formula_lines = {(f.place.line, f.quote) for f in find_formulas(self.doc)}
        for ratio in find_ratios(self.doc):
            percent = ratio.percent
            if any(line == ratio.place.line and percent.text in quote for line, quote in formula_lines):
                continue
            places = percent.decimals
            operands = [n for n in quantities(ratio.sentence) if n.end <= percent.start and not is_percent(n) and n.measure in ("money", "count", None)]
            pairs = [(a, b) for a in operands for b in operands if a is not b and _comparable(a, b) and _value(b) > 0]
            exact = [(a, b) for a, b in pairs if q(_value(a) / _value(b) * HUNDRED, places) == percent.value]
            if exact:
                continue
            truncated = [(a, b) for a, b in pairs if _truncated(_value(a) / _value(b) * HUNDRED, places) == percent.value and _value(a) <= _value(b)]
            if truncated:
                a, b = truncated[-1]
                expected = _value(a) / _value(b) * HUNDRED
                self.add("ratio", "warning", [ratio.place],
                         f"“{ratio.label}”写作 {percent.text}，按 {a.text} ÷ {b.text} = {pct(expected, places + 2)}，四舍五入应为 {pct(expected, places)}。", percent.value, q(expected, places))
                continue
            kind = fund_ratio_kind(ratio.label)
            if kind is None or ratio.text.segment.kind != "paragraph":
                continue
            self._fund_ratio(ratio, kind)

    def _fund_ratio(self, ratio, kind: str) -> None:  # type: ignore[no-untyped-def]
        _, num_words, den_words = FUND_RATIO[kind]
        segment = ratio.text.segment
        percent = ratio.percent
        position = ratio.sentence_start + percent.start
        numerators = [(n, segment) for n in _labelled(segment.text, num_words) if n.start < position]
        if not numerators:
            return
        denominators = [(n, segment) for n in _labelled(segment.text, den_words) if n is not numerators[-1][0]]
        for other in reversed(self.doc.segments[max(0, segment.index - 6): segment.index]):
            rank = heading_rank(other)
            if rank is not None and rank <= 2:
                break
            if other.kind == "paragraph":
                denominators += [(n, other) for n in _labelled(other.text, den_words)]
        if not denominators:
            return
        places = percent.decimals
        for numerator, _ in numerators:
            for denominator, _ in denominators:
                if denominator.base_value and q(numerator.base_value / denominator.base_value * HUNDRED, places) == percent.value:
                    return
        # A sentence about a part may quote the project's rate: accept the project's own figures too
        # (but not when the sentence's own figures are the project's: then they must give the rate).
        numerator, num_segment = numerators[-1]
        local_project = fund_key(label_before(num_segment.text, numerator.start), self.doc.doc.meta.project) is not None
        project = [m.value for m in self.fund_mentions if m.value]
        if not local_project and any(q(a / b * HUNDRED, places) == percent.value for a in project for b in project if a <= b):
            return
        numerator, num_segment = numerators[-1]
        denominator, den_segment = denominators[0]
        if not denominator.base_value:
            return
        expected = numerator.base_value / denominator.base_value * HUNDRED
        self.add("ratio", "error",
                 [ratio.place, self.doc.place(num_segment, numerator.start, numerator.end), self.doc.place(den_segment, denominator.start, denominator.end)],
                 f"“{ratio.label}”写作 {percent.text}，但按报告所写 {_label(num_segment.text, numerator.start)} {numerator.text}{numerator.unit or ''} ÷ "
                 f"{_label(den_segment.text, denominator.start)} {denominator.text}{denominator.unit or ''} = {pct(expected, max(places, 2))}。",
                 percent.value, q(expected, max(places, 2)))

    def check_mentions(self) -> None:
        funds, counts = find_mentions(self.doc)
        self.fund_mentions = funds
        self.funds: dict[str, Decimal] = {}
        for mention in funds:
            self.funds.setdefault(mention.key, mention.value)
        names = {"budget": "预算", "received": "实际到位资金", "spent": "实际支出"}
        for mentions, fund in ((funds, True), (counts, False)):
            dates: dict[str, set] = defaultdict(set)
            for mention in mentions:
                if mention.when is not None:
                    dates[mention.key].add(mention.when)
            groups: dict[tuple, list] = defaultdict(list)
            for mention in mentions:
                when = mention.when
                if when is None and len(dates[mention.key]) == 1:
                    when = next(iter(dates[mention.key]))  # an undated figure is the one dated figure (004 has two: no guess)
                groups[(mention.key, when)].append(mention)
            for (key, _), group in groups.items():
                distinct: dict[Decimal, object] = {}
                for mention in group:
                    distinct.setdefault(q(mention.value, 4), mention)
                lines = {m.place.line for m in distinct.values()}  # type: ignore[attr-defined]
                if len(distinct) < 2 or len(lines) < 2:
                    continue  # several values for one label in one list (平台A 3401条，平台B 2232条…) are not a repetition
                shown = list(distinct.values())
                what = names[key] if fund else f"“{shown[0].label}”"  # type: ignore[attr-defined]
                unit = "万元" if fund else key.split("|")[1]
                listed = "；".join(f"第{m.place.line}行写 {s(m.value)}{unit}" for m in shown)  # type: ignore[attr-defined]
                self.add("repeated", "error", [m.place for m in shown],  # type: ignore[attr-defined]
                         f"同一数据{what}前后不一致：{listed}。请核实并统一。", shown[0].value, shown[1].value)  # type: ignore[attr-defined]

    def check_identities(self) -> None:
        figures = read_figure_rows(self.doc)
        if figures:
            by_label: dict[str, list] = defaultdict(list)
            for figure in figures:
                by_label[figure.label].append(figure)
            for item in texts(self.doc):
                for start, sentence in sentences(item.text):
                    for clause in re.split(r"[；;。]", sentence):
                        if "=" not in clause:
                            continue
                        self._identity(clause, by_label, item.place(self.doc, start + sentence.find(clause)))
        for usage in find_usages(self.doc):
            total = usage.total.base_value
            spent = sum((value for value, _ in usage.items), ZERO)
            for segment in self.doc.segments:
                if segment.kind != "paragraph":
                    continue
                numbers = [n for n in quantities(segment.text) if n.measure == "money"]
                if not any(n.base_value == total for n in numbers):
                    continue
                for number in numbers:
                    if "结余" not in label_before(segment.text, number.start):
                        continue
                    expected = total - spent
                    if q(expected) != q(number.base_value):
                        parts = " + ".join(s(value) for value, _ in usage.items)
                        self.add("fund", "error", [self.doc.place(segment, number.start, number.end), usage.total_place, *[p for _, p in usage.items]],
                                 f"报告写{label_before(segment.text, number.start)} {s(number.base_value)} 万元，但资金 {s(total)} 万元减去所列支出 {parts} = {s(spent)} 万元，应结余 {s(expected)} 万元，相差 {s(number.base_value - expected)} 万元。",
                                 number.base_value, expected)

    def _identity(self, clause: str, by_label: dict, rule_place: Place) -> None:
        sides = [side.strip() for side in clause.split("=")]
        evaluated = []
        for side in sides:
            terms = re.split(r"([+\-−＋－])", re.sub(r"\s", "", side))
            value, sign, used = ZERO, 1, []
            for term in terms:
                if term in "+＋":
                    sign = 1
                elif term in "-−－":
                    sign = -1
                elif term:
                    figure = _figure(by_label, term, used)
                    if figure is None:
                        value = None  # type: ignore[assignment]
                        break
                    used.append(figure)
                    value += sign * figure.value
            if value is not None and used:
                evaluated.append((side, value, used))
        if len(evaluated) < 2:
            return
        first = evaluated[0]
        for side, value, used in evaluated[1:]:
            if q(value) != q(first[1]):
                show = lambda parts: " ".join(f"{f.label} {s(f.value)}" for f in parts)
                self.add("fund", "error", [first[2][0].place, *[f.place for f in used], rule_place],
                         f"按报告自身的口径“{clause.strip()}”，{first[0]} 为 {s(first[1])}，而 {side} = {show(used)} 合计 {s(value)}，两者不等。",
                         first[1], value)

    def check_balances(self) -> None:
        for segment in self.doc.segments:
            if segment.kind != "paragraph" or "结余" not in segment.text:
                continue
            money = [n for n in quantities(segment.text) if n.measure == "money"]
            labelled = [(n, label_before(segment.text, n.start)) for n in money]
            balances = [n for n, label in labelled if "结余" in label and "资金" not in label[:-2] or label.endswith("结余")]
            if len(balances) != 1:
                continue
            balance = balances[0]
            project = self.doc.doc.meta.project
            sources = [n for n, label in labelled if n.start < balance.start and fund_key(label, project) in ("budget", "received")]
            spent = [n for n, label in labelled if n.start < balance.start and fund_key(label, project) == "spent"]
            if not sources or not spent:
                continue
            if any(q(a.base_value - b.base_value) == q(balance.base_value) for a in sources for b in spent):
                continue
            a, b = sources[-1], spent[-1]
            expected = a.base_value - b.base_value
            self.add("fund", "error", [self.doc.place(segment, balance.start, balance.end), self.doc.place(segment, a.start, a.end)],
                     f"报告写结余 {balance.text}{balance.unit or ''}，但 {a.text}{a.unit or ''} − {b.text}{b.unit or ''} = {s(expected)}{'万元' if a.unit == b.unit == '万元' else ''}。",
                     balance.base_value, expected)

    # ── run ──────────────────────────────────────────────────────────────────
    def run(self) -> CheckReport:
        self.attach_text()
        self.text_totals = [Value(t.value, t.place, "text") for t in find_totals(self.doc)]
        self.text_full = [Value(t.value, t.place, "text") for t in find_full_scores(self.doc)]
        self.check_mentions()
        self.check_grade_bands_only()
        try:
            self.case = build_case(
                self.tree, self.doc.title, year=self.doc.doc.meta.year, region=self.doc.doc.meta.region,
                bands=self.bands_early, funds=self.funds,
            )
        except (CaseBuildError, ValueError):
            self.case = None
        sums, total = self.recompute()
        self.sums = sums
        self.check_repeated_nodes()
        self.check_sums(sums, total)
        self.check_rates()
        self.check_grade()
        self.check_items()
        self.check_counts()
        self.check_rules()
        self.check_formulas()
        self.check_ratios()
        self.check_identities()
        self.check_balances()
        return self.report()

    def check_grade_bands_only(self) -> None:
        self.bands_early = find_bands(self.doc)[0]

    def report(self) -> CheckReport:
        rows = []
        for node in self.tree.walk():
            weight_sum, score_sum = self.sums.get(id(node), (None, None))
            rows.append(IndicatorRow(
                path=node.path, level=node.level, weight=node.weight, score=node.score,
                rate=node.rates[0].value if node.rates else None,
                recomputed_weight=weight_sum, recomputed_score=score_sum, is_leaf=not node.children,
            ))
        unique: list[Finding] = []
        keys = set()
        for finding in self.findings:
            key = (finding.kind, finding.places[0].line if finding.places else 0, str(finding.stated), str(finding.recomputed))
            if key not in keys:
                keys.add(key)
                unique.append(finding)
        order = {"error": 0, "warning": 1, "info": 2}
        unique.sort(key=lambda f: (order[f.severity], f.places[0].line if f.places else 0))
        return CheckReport(
            source=self.doc.source,
            title=self.doc.title,
            full_score=self.full if self.full is not None else self.full_score,
            stated_total=self.stated_total,
            recomputed_total=self.recomputed_total,
            stated_grade=self.stated_grade,
            recomputed_grade=self.recomputed_grade,
            bands=self.bands,
            indicators=rows,
            funds=self.funds,
            findings=unique,
        )


def check_document(doc: ReportDoc) -> CheckReport:
    """Check an already loaded report."""
    return _Checker(doc).run()


def report_case(path: str | Path) -> Case:
    """The case file content for ``jixiao check --case`` (raises :class:`CaseBuildError`)."""
    return case_of(load_report(path))


def check_with_case(doc: ReportDoc) -> tuple[CheckReport, Case | None, str | None]:
    """Check ``doc`` and build its case in one pass: (report, case or ``None``, why there is no case)."""
    checker = _Checker(doc)
    report = checker.run()
    try:
        case = build_case(
            checker.tree, doc.title, year=doc.doc.meta.year, region=doc.doc.meta.region,
            full_score=report.full_score, bands=report.bands or None, funds=report.funds,
            stated_total=report.stated_total, stated_grade=report.stated_grade,
            stated_full_score=checker.tree.full_scores[0].value if checker.tree.full_scores else None,
            doc=doc,
        )
    except CaseBuildError as exc:
        return report, None, str(exc)
    except ValueError as exc:  # pydantic: the report's tree does not make a valid case
        return report, None, f"报告中的指标体系无法生成有效的案例文件（{str(exc).splitlines()[0]}）"
    return report, case, None


def case_of(doc: ReportDoc) -> Case:
    """The case built from ``doc`` (raises :class:`CaseBuildError`)."""
    _, case, reason = check_with_case(doc)
    if case is None:
        raise CaseBuildError(reason or "无法生成案例文件")
    return case


# ── helpers ──────────────────────────────────────────────────────────────────


def _case_path(node: Node) -> str:
    names = []
    current: Node | None = node
    while current is not None:
        names.append(current.name.replace("/", "／"))
        current = current.parent
    return "/".join(reversed(names))


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _truncated(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN)


def _value(number) -> Decimal:  # type: ignore[no-untyped-def]
    return number.base_value if number.measure == "money" else number.value


def _comparable(a, b) -> bool:  # type: ignore[no-untyped-def]
    if a.measure != b.measure:
        return False
    if a.measure == "count":
        return a.unit == b.unit or {a.unit, b.unit} <= {"个", "项", "家", "台", "套", "条", "份", "例"}
    return True


def _label(text: str, start: int) -> str:
    return re.sub(r"(?:为|是|达|约|仅)$", "", label_before(text, start))


def _figure(by_label: dict, term: str, used: list):  # type: ignore[no-untyped-def]
    """The figure labelled ``term``, preferring the row of the figures already used in the formula."""
    candidates = by_label.get(term) or []
    if not candidates:
        return None
    for figure in candidates:
        if used and figure.place.line == used[-1].place.line:
            return figure
    return candidates[0]


def _labelled(text: str, words: tuple[str, ...]):  # type: ignore[no-untyped-def]
    found = []
    for number in quantities(text):
        if number.measure != "money":
            continue
        label = label_before(text, number.start)
        if any(word in label for word in words) and "率" not in label:
            found.append(number)
    return found


__all__ = ["case_of", "check_document", "check_report", "check_text", "check_with_case", "report_case"]
