"""The built-in chat capabilities, each one declaration; this module is the plugin that registers them.

Declaration order is the help card's order and breaks ties between equal scores.
Every answer is built from the workspace's operations (score, draft,
draft_problem, search, check_*) and goes through the number guard.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any, Literal

from assistant.guard import check_draft, trace_figures, trace_text
from assistant.models import Draft, Paragraph, Section, Sentence
from assistant.precedents import source_ref
from assistant.problems import group_problems
from assistant.sections import SECTIONS, section_for_message
from core.plugins import hookimpl
from retrieval.search import SearchFilters
from scoring import Case
from scoring.funds import FUND_LABELS
from scoring.numbers import fmt, fmt_short
from scoring.results import NodeResult
from scoring.tree import TreeIndex
from workspace.chat import edits
from workspace.chat.base import BUILTIN_INTENTS, ChatAnswer, Context, intent, node_aliases

NUM = r"[一二两三四五六七八九十\d]+"


def _deducted(ctx: Context) -> list[NodeResult]:
    return [n for n in ctx.result.nodes if n.is_leaf and n.score < n.weight]


def _first_deducted(ctx: Context, level: int | None = None) -> str:
    nodes = [n for n in ctx.result.nodes if n.score < n.weight and (level is None or n.level == level)]
    return nodes[0].name if nodes else ctx.result.nodes[0].name


def _leaves_under(ctx: Context, node: NodeResult) -> list[NodeResult]:
    return [n for n in ctx.result.nodes if n.is_leaf and (n.path == node.path or n.path.startswith(node.path + "/"))]


def _from_draft(ctx: Context, intent_name: str, draft: Draft, lead: str = "", **extra: Any) -> ChatAnswer:
    text = (lead + "\n\n" if lead else "") + draft.markdown()
    if draft.guard is not None and not draft.guard.ok:
        text += f"\n\n> 数字核对：{len(draft.guard.violations)} 个数字未能核对，请逐一核实。"
    for note in draft.notes:
        text += f"\n\n> {note}"
    citations = draft.citations()
    offers = [offer for section in draft.sections for paragraph in section.paragraphs for offer in getattr(paragraph, "offers", [])]
    if offers:
        lines = ["可参考的先例表述（未写入正文；采纳原因请说「把第N个问题的原因改为：……」）："]
        for offer in offers[:6]:
            lines.append(f"- {'原因' if offer.kind == 'cause' else '措施'}（{offer.nature}）：{offer.text}" + (f"——{offer.citation.display}" if offer.citation else ""))
            if offer.citation is not None and all(c.display != offer.citation.display for c in citations):
                citations.append(offer.citation)
        text += "\n\n" + "\n".join(lines)
    return ChatAnswer(intent=intent_name, text=text, citations=citations, figures=draft.figures(), guard=draft.guard, draft=draft, **extra)


def _verified(ctx: Context, draft: Draft) -> Draft:
    """A draft the chat changed (details added, paragraphs shortened or merged), through both guards again."""
    from assistant.claims import check_claims

    assert ctx.case is not None
    traced = trace_figures(draft, ctx.book)
    guard = check_draft(traced, ctx.book)
    checked, violations, _ = check_claims(traced, ctx.case, None)
    return traced.model_copy(update={"guard": guard.model_copy(update={"claims_checked": checked, "claim_violations": violations, "ok": guard.ok and not violations})})


def _body(draft: Draft) -> list[tuple[int, int]]:
    """(section index, paragraph index) of every body paragraph: what 「第三段」 counts."""
    return [(s, p) for s, section in enumerate(draft.sections) for p, para in enumerate(section.paragraphs) if para.style != "heading"]


# ── 起草 ─────────────────────────────────────────────────────────────────────
def _draft_args(ctx: Context) -> dict[str, Any]:
    return {"section": section_for_message(ctx.message)}


@intent(
    "draft",
    "起草任一章节或整份报告初稿",
    cues=((r"起草|草拟|拟写|撰写|生成|帮我写|写一[下份个篇段版稿]|写个|写份|出一[份稿版]|来一[份稿版]|给我一[份稿版]|重写|重新写", 2.0), (r"初稿|全文|完整的?报告|整篇|整份|这一章|部分$", 1.5)),
    example="给我一份完整的报告初稿",
    parse=_draft_args,
    tool="起草报告的一个章节或整份报告初稿（数字全部来自评分模块，经数字核对）",
    params={"section": {"type": "string", "description": "章节名：" + "、".join(f"{s.name}={s.title}" for s in SECTIONS.values())}},
    required=("section",),
)
def draft(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    assert ctx.case is not None
    section = args.get("section") or "problems"
    if section not in SECTIONS:
        return ChatAnswer(intent="draft", text=f"没有“{section}”这一章节。可起草：{'、'.join(s.title for s in SECTIONS.values())}。")
    made = ctx.workspace.draft(ctx.case, section, owner=ctx.owner)
    return _from_draft(ctx, "draft", made)


# ── 为什么扣分 ────────────────────────────────────────────────────────────────
def _node_args(ctx: Context) -> dict[str, Any]:
    nodes = ctx.mentioned_nodes()
    return {"indicator": nodes[0].path if nodes else None}


def _node(ctx: Context, name: str | None) -> NodeResult | None:
    if not name:
        return None
    for node in ctx.result.nodes:
        if name in (node.path, node.name):
            return node
    return next((node for alias, node in node_aliases(ctx.result) if alias == name or alias in name), None)


def _findings_of(ctx: Context, node: NodeResult) -> list[tuple[int, Any]]:
    assert ctx.case is not None
    index = TreeIndex(ctx.case)
    found = []
    for i, finding in enumerate(ctx.case.findings):
        for key in (finding.indicator, *finding.also_indicators):
            if key is None:
                continue
            try:
                path = index.resolve(key).path
            except LookupError:
                continue
            if path == node.path or path.startswith(node.path + "/"):
                found.append((i, finding))
                break
    return found


@intent(
    "why_deducted",
    "解释某个指标或一级指标为什么扣分",
    cues=(
        (r"为什么|为何|什么原因|怎么会|咋", 1.5),
        (r"扣分|扣了|扣掉|失分|丢分|丢了|没得满分|不是满分|没拿满|分[数]?[偏太]?低", 1.5),
        (r"扣分(?:的)?(?:原因|理由|依据|情况|明细)|哪些指标扣|哪里扣|在哪[里儿]?扣|扣在哪|哪些地方扣", 3.0),
    ),
    example=lambda ctx: f"{_first_deducted(ctx, 1).removeprefix('项目')}指标为什么扣分",
    parse=_node_args,
    tool="某个指标（末级或一级）为什么扣分：每个扣分的末级指标、扣分理由、算式与挂在其上的问题",
    params={"indicator": {"type": "string", "description": "指标名称或路径；不填则列出全部扣分指标"}},
)
def why_deducted(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    node = _node(ctx, args.get("indicator"))
    leaves = [n for n in (_leaves_under(ctx, node) if node else _deducted(ctx)) if n.score < n.weight]
    lines: list[str] = []
    if node is not None:
        deduction = node.weight - node.score
        head = f"“{node.path}”分值{fmt_short(node.weight)}分，得{fmt(node.score)}分"
        lines.append(head + (f"，扣{fmt(deduction)}分。" if deduction > 0 else "，未扣分。"))
    else:
        lines.append(f"综合得分{fmt(ctx.result.total)}分，共 {len(leaves)} 个末级指标扣分：")
    if leaves:
        if node is not None:
            lines.append(f"扣分的末级指标（{len(leaves)} 个）：")
        for i, leaf in enumerate(leaves, start=1):
            lost = leaf.weight - leaf.score
            reason = leaf.reason or ""
            findings = _findings_of(ctx, leaf)
            if not reason and findings:
                reason = "问题清单中挂在该指标上的问题：" + "；".join(dict.fromkeys(f.issue or f.nature for _, f in findings))
            lines.append(
                f"{i}. “{leaf.name}”（{leaf.path}）分值{fmt_short(leaf.weight)}分，得{fmt(leaf.score)}分，扣{fmt(lost)}分。"
                f"\n   - 理由：{reason or '按评分规则计算（见算式），案例未另写扣分理由'}\n   - 算式：{leaf.audit}"
                + (f"\n   - 相关问题：{len(findings)} 条（见问题清单第 {'、'.join(str(j + 1) for j, _ in findings[:8])} 条）" if findings else "")
            )
    elif node is not None:
        lines.append("其下各末级指标均得满分。")
    return ctx.checked("\n".join(lines), intent="why_deducted")


# ── 查数字 ────────────────────────────────────────────────────────────────────
@intent(
    "figure",
    "查得分、扣分、资金等数字及其算式",
    cues=((r"多少|几分|得了?几|是几|得分率|总分|等级|评分结果|分数", 1.5), (r"扣了几|扣了多少|扣几", 1.0)),
    example=lambda ctx: "预算执行率是多少，扣了几分？",
    tool="查询综合得分、等级、某个指标的得分或资金指标（预算执行率等）的数值与算式",
    params={"indicator": {"type": "string", "description": "指标或资金指标名称，如 预算执行率；不填则给总分"}},
    parse=lambda ctx: {"indicator": None},
)
def figure(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    message = ctx.message + (args.get("indicator") or "")
    lines: list[str] = []
    metrics = {m.key: m for m in ctx.result.funds}
    for key, label in sorted(FUND_LABELS.items(), key=lambda item: -len(item[1])):
        if label in message and key in metrics and metrics[key].value is not None:
            metric = metrics[key]
            value = f"{fmt(metric.value)}{'%' if metric.unit == '%' else ''}"  # type: ignore[arg-type]
            lines.append(f"{label}为{value}{'' if metric.unit == '%' else '万元'}（{metric.formula}）。")
            message = message.replace(label, "")
    sub = Context(message, ctx.case, ctx.workspace, ctx.owner, ctx.history)
    for node in sub.mentioned_nodes()[:3]:
        deduction = node.weight - node.score
        lines.append(f"“{node.path}”分值{fmt_short(node.weight)}分，得{fmt(node.score)}分" + (f"，扣{fmt(deduction)}分" if deduction > 0 else "，未扣分") + f"（{node.audit}）。")
    if "总分" in message or "等级" in message or not lines:
        lines.append(f"综合得分{fmt(ctx.result.total)}分，等级“{ctx.result.grade}”。")
    return ctx.checked("\n".join(lines), intent="figure")


# ── 指标下的问题 ──────────────────────────────────────────────────────────────
@intent(
    "findings",
    "列出某个指标下的问题（问题清单中的事例）",
    cues=(
        (r"哪些问题|什么问题|哪几个问题|哪几条|几条问题|多少条|多少个问题|哪些发现|问题清单|挂了?哪些|有哪些事例|下面?的问题|涉及的问题|对应的问题|列出.*问题", 2.0),
        (r"指标", 0.5),
    ),
    example=lambda ctx: f"{_first_with_findings(ctx)}下面有哪些问题？",
    parse=_node_args,
    tool="列出挂在某个指标下的问题清单事例（单位、项目、具体问题、金额）",
    params={"indicator": {"type": "string", "description": "指标名称或路径；不填则按指标汇总全部问题"}},
)
def findings(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    assert ctx.case is not None
    node = _node(ctx, args.get("indicator"))
    if not ctx.case.findings:
        return ctx.checked("本案例没有问题清单。可以用「再加一条：……」逐条补充。", intent="findings")
    if node is None:
        lines = [f"问题清单共 {len(ctx.case.findings)} 条，按扣分指标："]
        for leaf in _deducted(ctx):
            attached = _findings_of(ctx, leaf)
            if attached:
                lines.append(f"- “{leaf.name}”：{len(attached)} 条（{'；'.join(dict.fromkeys(f.nature for _, f in attached))}）")
        return ctx.checked("\n".join(lines), intent="findings")
    attached = _findings_of(ctx, node)
    if not attached:
        return ctx.checked(f"问题清单中没有挂在“{node.path}”下的问题。", intent="findings")
    lines = [f"挂在“{node.path}”下的问题共 {len(attached)} 条："]
    for i, finding in attached:
        parts = [p for p in (finding.unit, finding.project) if p]
        amount = f"（涉及金额{fmt(finding.amount)}万元）" if finding.amount is not None else ""
        waived = f"（未扣分：{finding.waived}）" if finding.waived else ""
        lines.append(f"{i + 1}. 【{finding.nature}】{'·'.join(parts)}：{finding.issue or ''}{'——' + finding.description if finding.description else ''}{amount}{waived}")
    return ctx.checked("\n".join(lines), intent="findings")


def _first_with_findings(ctx: Context) -> str:
    for leaf in _deducted(ctx):
        if _findings_of(ctx, leaf):
            return leaf.name
    return _first_deducted(ctx)


# ── 把问题写得更具体 ───────────────────────────────────────────────────────────
def _problem_number(ctx: Context) -> int:
    number = edits.ordinal(ctx.message, "个?问题")
    if number is None:
        paragraph = edits.ordinal(ctx.message, "段")
        drafts = ctx.drafts()
        if paragraph is not None and drafts and drafts[-1].section == "problems":
            number = _problem_of_paragraph(drafts[-1], paragraph)
    if number is None:
        number = ctx.last("problem")
    return int(number or 1)


def _problem_of_paragraph(draft: Draft, paragraph: int) -> int | None:
    headings = 0
    body = 0
    for section in draft.sections:
        for para in section.paragraphs:
            if para.style == "heading":
                headings += 1
            else:
                body += 1
                if body == paragraph:
                    return max(headings, 1)
    return None


@intent(
    "revise",
    "把某个问题写得更具体（更多事例、金额、日期、涉及指标）",
    cues=((rf"第{NUM}\s*[个条]?问题", 1.0), (r"具体|详细|展开|充实|细化|丰富|多写|写细|详尽|补充", 2.0), (r"这个问题|该问题|这段|这一段", 0.5), (rf"第{NUM}段", 0.5)),
    example="把第二个问题写得更具体一些",
    parse=lambda ctx: {"number": _problem_number(ctx)},
    tool="把“存在的问题”中第 N 个问题写得更具体：列出全部事例、金额、日期与涉及的指标",
    params={"number": {"type": "integer", "description": "问题序号，从 1 起"}},
    required=("number",),
)
def revise(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    assert ctx.case is not None
    number = int(args.get("number") or 1)
    made, count = ctx.workspace.draft_problem(ctx.case, number, owner=ctx.owner)
    if made is None:
        return ChatAnswer(intent="revise", text=f"本案例共归并出 {count} 个问题，没有第{number}个。")
    problem = group_problems(ctx.case, ctx.result)[number - 1]
    shown = made.markdown()
    shown_before = "\n".join(d.markdown() for d in ctx.drafts())
    details: list[str] = []
    for finding in problem.findings:
        bits = [b for b in (finding.unit, finding.project) if b]
        line = f"{'·'.join(bits) + '：' if bits else ''}{finding.issue or finding.nature}"
        if finding.description:
            line += f"。{finding.description.rstrip('。')}"
        if finding.amount is not None and fmt(finding.amount) not in (finding.description or ""):
            line += f"，涉及金额{fmt(finding.amount)}万元"
        if finding.evidence:
            line += f"（佐证：{finding.evidence}）"
        details.append(line.rstrip("。") + "。")
    fresh = [line for line in details if line.split("：", 1)[-1][:20] not in shown]
    leaves = [leaf for leaf in problem.leaves if leaf.score < leaf.weight]
    indicator_lines = [f"“{leaf.name}”分值{fmt_short(leaf.weight)}分，得{fmt(leaf.score)}分，扣{fmt(leaf.weight - leaf.score)}分（{leaf.audit}）。" for leaf in leaves]
    paragraphs = list(made.sections[0].paragraphs)
    if fresh:
        paragraphs.append(_para(f"具体事例（共 {len(problem.findings)} 条）：", "body"))
        paragraphs.extend(_para(f"{i}. {line}", "list") for i, line in enumerate(fresh, start=1))
    if indicator_lines:
        paragraphs.append(_para("涉及指标：" + "".join(indicator_lines), "body"))
    detailed = _verified(ctx, made.model_copy(update={"sections": [made.sections[0].model_copy(update={"paragraphs": paragraphs})]}))
    nothing_new = bool(shown_before) and all(para.text in shown_before for para in detailed.sections[0].paragraphs)
    if nothing_new:
        lead = (
            f"第{number}个问题“{problem.nature}”已写出问题清单中的全部 {len(problem.findings)} 条事例及涉及的指标，"
            "没有更多事例、金额或日期可以补充。如需更具体，请在问题清单中补充事例（「再加一条：……」），或告诉我要补充的内容。"
        )
    else:
        lead = f"已把第{number}个问题“{problem.nature}”写得更具体：列出问题清单中的 {len(problem.findings)} 条事例" + ("及其金额与日期" if fresh else "") + "，并注明涉及的指标及扣分。"
    return _from_draft(ctx, "revise", detailed, lead, problem=number)


def _para(text: str, style: Literal["body", "heading", "list"]) -> Paragraph:
    return Paragraph(sentences=[Sentence(text=text)], style=style)


# ── 精简、合并段落 ─────────────────────────────────────────────────────────────
def _numbers(message: str) -> list[int]:
    found = re.findall(rf"第({NUM})段", message)
    more = re.findall(rf"(?:第{NUM}段)?(?:和|与|、|及|跟)(?:第)?({NUM})段", message)
    values = [edits.cn_int(x) for x in [*found, *more]]
    return sorted({v for v in values if v})


@intent(
    "shorten",
    "精简或合并上一稿的段落（「第三段」指上一稿的第三段）",
    cues=((r"精简|缩短|简短|压缩|删减|短一[点些]|简洁|太长|简练|精炼|凝练|啰嗦|冗长", 2.5), (r"合并|并成|合成一段|并为一段|并到一起", 2.5), (rf"第{NUM}段|上一稿|这段|这一段", 0.5)),
    example="把第一段精简一下",
    parse=lambda ctx: {"paragraphs": _numbers(ctx.message), "merge": bool(re.search(r"合并|并成|合成|并为|并到", ctx.message))},
    tool="精简或合并上一稿中的段落",
    params={"paragraphs": {"type": "array", "items": {"type": "integer"}, "description": "段落序号（从 1 起，不计标题）"}, "merge": {"type": "boolean", "description": "合并而不是精简"}},
)
def shorten(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    drafts = ctx.drafts()
    if not drafts:
        return ChatAnswer(intent="shorten", text="本会话还没有草稿。请先起草一个章节，例如「帮我起草存在的问题部分」。")
    last = drafts[-1]
    body = _body(last)
    wanted = [n for n in (args.get("paragraphs") or []) if 1 <= n <= len(body)]
    if args.get("paragraphs") and not wanted:
        return ChatAnswer(intent="shorten", text=f"上一稿只有 {len(body)} 段正文（不计标题），没有第{'、'.join(str(n) for n in args['paragraphs'])}段。")
    sections = [s.model_copy(update={"paragraphs": list(s.paragraphs)}) for s in last.sections]
    if args.get("merge"):
        targets = wanted if len(wanted) >= 2 else list(range(1, len(body) + 1))
        if len(targets) < 2:
            return ChatAnswer(intent="shorten", text="上一稿只有一段正文，没有可合并的段落。")
        places = [body[n - 1] for n in targets]
        first_s, first_p = places[0]
        merged = [sentence for s, p in places for sentence in last.sections[s].paragraphs[p].sentences]
        sections[first_s].paragraphs[first_p] = Paragraph(sentences=merged, style="body")
        for s, p in sorted(places[1:], reverse=True):
            del sections[s].paragraphs[p]
        what = f"已把第{'、'.join(str(n) for n in targets)}段合并为一段"
    else:
        targets = wanted or list(range(1, len(body) + 1))
        before = after = 0
        for n in targets:
            s, p = body[n - 1]
            para = sections[s].paragraphs[p]
            kept = _shorter(para)
            before += len(para.text)
            after += len(kept.text)
            sections[s].paragraphs[p] = kept
        if after >= before:
            return ChatAnswer(intent="shorten", text=f"第{'、'.join(str(n) for n in targets)}段每句都承载事例或数字，已无可删减的句子；如需更短，请指明删去哪一句。")
        what = f"已精简第{'、'.join(str(n) for n in targets)}段（由 {before} 字减为 {after} 字，保留首句、数字和原因）"
    revised = _verified(ctx, last.model_copy(update={"sections": sections, "guard": None, "notes": []})) if ctx.case else last
    return _from_draft(ctx, "shorten", revised, what + "：")


def _shorter(para: Paragraph) -> Paragraph:
    sentences = para.sentences
    if len(sentences) <= 2:
        return para
    keep = [sentences[0]] + [s for s in sentences[1:] if re.search(r"\d|原因|建议", s.text)]
    if len(keep) == len(sentences):
        keep = [sentences[0], *[s for s in sentences[1:] if "原因" in s.text]] or sentences[:2]
    if len(keep) >= len(sentences):
        keep = sentences[: max(2, len(sentences) // 2)]
    return para.model_copy(update={"sentences": keep})


# ── 改写原因 ──────────────────────────────────────────────────────────────────
_CAUSE = re.compile(r"(?:原因)(?:改为|改成|换成|写成|应该是|应为|其实是|实际上是|重写为|是|在于)[：:，,\s“\"「]*(.+?)[”\"」]?[。！!]?$")


def _cause_args(ctx: Context) -> dict[str, Any]:
    match = _CAUSE.search(ctx.message)
    return {"number": _problem_number(ctx), "cause": match.group(1).strip() if match else ""}


@intent(
    "rewrite_cause",
    "按评价人的话改写某个问题的原因，并记入案例",
    cues=((r"原因", 1.0), (r"改为|改成|换成|写成|应该是|应为|其实是|实际上是|重写", 1.5), (r"原因(?:改|换|重写|应|写成)|原因是[^什]|原因在于", 1.0)),
    example="把第一个问题的原因改为：采购计划与项目进度衔接不紧",
    parse=_cause_args,
    tool="提议把第 N 个问题的原因改为评价人给出的说法（需评价人确认后写入案例）",
    params={"number": {"type": "integer", "description": "问题序号，从 1 起"}, "cause": {"type": "string", "description": "新的原因表述"}},
    required=("number", "cause"),
)
def rewrite_cause(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    assert ctx.case is not None
    number, cause = int(args.get("number") or 1), (args.get("cause") or "").strip().rstrip("。")
    problems = group_problems(ctx.case, ctx.result)
    if not cause:
        return ChatAnswer(intent="rewrite_cause", text="请给出新的原因表述，例如「把第一个问题的原因改为：采购计划与项目进度衔接不紧」。")
    if not 1 <= number <= len(problems):
        return ChatAnswer(intent="rewrite_cause", text=f"本案例共归并出 {len(problems)} 个问题，没有第{number}个。")
    problem = problems[number - 1]
    indices = [i for i, f in enumerate(ctx.case.findings) if f.nature == problem.nature]
    old = "；".join(problem.causes) or "（案例未写，起草时取自先例或常用表述）"
    proposal = {"op": "set_cause", "problem": number, "nature": problem.nature, "indices": indices, "cause": cause}
    text = (
        f"将把第{number}个问题“{problem.nature}”（{len(indices)} 条事例）的原因改为：\n\n> 主要原因是{cause.removeprefix('主要原因是')}。\n\n"
        f"原来的原因：{old}\n\n回复「确认」写入案例（此后起草都用这一原因），回复「取消」放弃。"
    )
    return ChatAnswer(intent="propose_change", text=text, proposal=proposal)


# ── 新增、更正问题 ─────────────────────────────────────────────────────────────
def _describe(finding: dict[str, Any]) -> str:
    labels = (("nature", "问题定性"), ("project", "项目"), ("unit", "项目单位"), ("indicator", "扣分指标"), ("amount", "涉及金额（万元）"), ("description", "问题描述"))
    return "\n".join(f"- {label}：{finding[key]}" for key, label in labels if finding.get(key))


@intent(
    "add_finding",
    "用一句话新增一条问题（确认后写入问题清单）",
    cues=((r"再加一条|加一条|新增一条|增加一条|补充一条|添加一条|再补一条|新增(?:一个)?问题|增加(?:一个)?问题|加一个问题|还有一个问题|漏了一条", 3.5),),
    example=lambda ctx: "再加一条：" + (ctx.case.findings[0].project if ctx.case and ctx.case.findings and ctx.case.findings[0].project else "某某") + "验收滞后两个月",
    parse=lambda ctx: {"sentence": ctx.message},
    tool="提议在问题清单中新增一条问题（从评价人的一句话解析；需确认后写入案例）",
    params={"sentence": {"type": "string", "description": "评价人描述问题的原话"}},
    required=("sentence",),
)
def add_finding(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    assert ctx.case is not None
    finding = edits.parse_finding(args.get("sentence") or ctx.message, ctx.case, ctx.result)
    if len(finding["description"]) < 6:
        return ChatAnswer(intent="add_finding", text="请用一句话说明问题，例如「再加一条：某某项目验收滞后两个月」。")
    missing = "" if finding.get("indicator") else "\n\n未能判断该问题应挂到哪个指标，确认后不影响得分；可回复「第N条问题的指标改为……」补上。"
    text = f"将在问题清单中新增第 {finding['id']} 条：\n\n{_describe(finding)}{missing}\n\n回复「确认」写入案例，回复「取消」放弃。"
    return ChatAnswer(intent="propose_change", text=text, proposal={"op": "add_finding", "finding": finding})


@intent(
    "correct_finding",
    "更正问题清单中的一条（金额、单位、项目、指标、描述）",
    cues=((r"第[一二两三四五六七八九十\d]+\s*(?:条|项|个事例)", 1.0), (r"更正|纠正|改正|改为|改成|应为|应该是|写错|挂到|归到", 1.5), (r"金额|单位|项目名称|指标|定性|描述", 1.0)),
    example="第1条问题的金额改为30万元",
    parse=lambda ctx: {"sentence": ctx.message},
    tool="提议更正问题清单中的一条（如“第3条问题的金额改为200万元”；需确认后写入案例）",
    params={"sentence": {"type": "string", "description": "评价人的更正原话"}},
    required=("sentence",),
)
def correct_finding(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    assert ctx.case is not None
    proposal = edits.parse_correction(args.get("sentence") or ctx.message, ctx.case)
    if proposal is None:
        return ChatAnswer(intent="correct_finding", text=f"没有看懂要更正哪一条。请写明序号、字段和新值，例如「第1条问题的金额改为30万元」（问题清单共 {len(ctx.case.findings)} 条）。")
    finding = ctx.case.findings[proposal["index"]]
    text = (
        f"将更正问题清单第 {proposal['index'] + 1} 条（{finding.nature}{'·' + finding.project if finding.project else ''}）的{proposal['label']}：\n\n"
        f"- 原为：{proposal['old'] or '（空）'}\n- 改为：{proposal['new']}\n\n回复「确认」写入案例，回复「取消」放弃。"
    )
    return ChatAnswer(intent="propose_change", text=text, proposal=proposal)


_YES = r"^\s*(确认|确定|好的?|可以|是的|对的?|行|没问题|就这样|同意|应用|写入|ok|yes)[吧的啊呀。！!，,\s]*(写入|应用|改吧)?[吧。！!\s]*$"
_NO = r"^\s*(取消|算了|不用了?|不要了?|放弃|不改了?|先不改|不对|no)[吧。！!，,\s]*$"


@intent("confirm", "确认上一条提议的修改", cues=((_YES, 4.0),), ready=lambda ctx: ctx.pending() is not None, needs_case=True, shown=False)
def confirm(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    assert ctx.case is not None
    proposal = ctx.pending()
    assert proposal is not None
    from scoring.io import case_to_data

    before = ctx.result
    try:
        data, change = edits.apply(case_to_data(ctx.case), proposal)
        case = ctx.workspace.parse_case(data)
    except Exception as exc:  # a proposal that no longer fits the case
        return ChatAnswer(intent="confirm", text=f"未能写入：{exc}。案例未改动。")
    after = ctx.workspace.score(case)
    what = {
        "add_finding": lambda: f"已在问题清单中新增第 {change['index'] + 1} 条（{proposal['finding']['nature']}）",
        "correct_finding": lambda: f"已把问题清单第 {change['index'] + 1} 条的{proposal['label']}由“{proposal['old'] or '空'}”改为“{proposal['new']}”",
        "set_cause": lambda: f"已把第{proposal['problem']}个问题“{proposal['nature']}”（{len(proposal['indices'])} 条事例）的原因改为“{proposal['cause']}”",
    }[proposal["op"]]()
    if after.total != before.total:
        score = f"重新评分：综合得分由{fmt(before.total)}分变为{fmt(after.total)}分，等级“{after.grade}”。"
    else:
        score = f"综合得分仍为{fmt(after.total)}分，等级“{after.grade}”。"
    text = f"{what}。{score}\n\n本会话的案例已更新；再次起草时会用到这一修改。"
    new_ctx = Context(ctx.message, case, ctx.workspace, ctx.owner, ctx.history)
    answer = new_ctx.checked(text, intent="confirm", changes=[change], case=data)
    # The score before the edit is a figure of the case as it was: checked against that case's book.
    before_refs = {ref.text: ref for ref in trace_text(text, ctx.book)}
    kept = [v for v in answer.guard.violations if v.text not in before_refs] if answer.guard else []
    figures = answer.figures + [ref for text_, ref in before_refs.items() if all(f.text != text_ for f in answer.figures)]
    guard = answer.guard.model_copy(update={"ok": not kept, "violations": kept}) if answer.guard else None
    return answer.model_copy(update={"guard": guard, "figures": figures})


@intent("cancel", "放弃上一条提议的修改", cues=((_NO, 4.0),), ready=lambda ctx: ctx.pending() is not None, needs_case=False, shown=False)
def cancel(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    return ChatAnswer(intent="cancel", text="已取消，案例未改动。")


# ── 核对 ─────────────────────────────────────────────────────────────────────
def _uploaded(ctx: Context) -> str | None:
    if ctx.owner is None:
        return None
    for doc_id, holder in ctx.workspace.documents.owners().items():
        if holder == ctx.owner and doc_id in ctx.message:
            return doc_id
    return None


@intent(
    "check",
    "核对报告：重算总分与各项数字，或核对上传/粘贴的报告",
    cues=((r"算得对|算对|对不对|对吗|核对|有没有错|是否正确|算错|有误|校对|核查|检查一下|审一下|审核", 2.0), (r"报告|总分|数字|这份|上传", 0.5)),
    example="这份报告的总分算得对吗？",
    needs_case=False,
    parse=lambda ctx: {"document": _uploaded(ctx)},
    tool="核对本案例报告所写的总分与各项数字是否与评分规则重算结果一致",
    params={},
)
def check(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    text_body = ctx.message if ctx.instruction != ctx.message else None
    document = args.get("document")
    if text_body or document:
        report = ctx.workspace.check_text(text_body) if text_body else _check_upload(ctx, document or "")
        lines = [f"已核对{'粘贴的报告' if text_body else f'上传的报告“{document}”'}：发现 {len(report.findings)} 处需要注意。"]
        labels = {"error": "错误", "warning": "提示", "info": "说明"}
        lines.extend(f"- 【{labels.get(item.severity, item.severity)}】{item.explanation}" for item in report.findings[:15])
        if not report.findings:
            lines.append("总分、等级、各项小计与资金数字前后一致。")
        return ChatAnswer(intent="check", text="\n".join(lines))
    if ctx.case is None:
        return ChatAnswer(intent="check", text="本会话还没有案例。请先载入案例，或把报告正文粘贴进来（或先上传报告，再说「核对我上传的报告 文件名」）。")
    result = ctx.result
    total = fmt(result.total)
    stated = ctx.case.stated.total if ctx.case.stated is not None else None
    lines = []
    if stated is None:
        lines.append(f"案例中没有记录报告所写的总分；按评分规则重算，总分为{total}分，等级“{result.grade}”。")
    elif fmt(stated) == total:
        lines.append(f"报告所写总分{fmt(stated)}分与重算结果一致（{total}分，等级“{result.grade}”）。")
    else:
        lines.append(f"报告所写总分{fmt(stated)}分，按评分规则重算应为{total}分（等级“{result.grade}”），两者不一致。")
    errors = [c for c in result.checks if c.severity == "error"]
    if errors:
        lines.append(f"另发现 {len(errors)} 处需要更正：")
        lines.extend(f"- {c.place}：{c.message}" for c in errors)
    else:
        lines.append("未发现其他需要更正的不一致。")
    return ctx.checked("\n".join(lines), intent="check")


def _check_upload(ctx: Context, doc_id: str) -> Any:
    record = ctx.workspace.index.catalog()[doc_id]
    path = Path(record.path)
    return ctx.workspace.check_file(path if path.is_absolute() else ctx.workspace.settings.home / path)


# ── 先例 ─────────────────────────────────────────────────────────────────────
_FILLER = re.compile(r"以往|过去|先例|其他报告|别的报告|报告里|报告中|的?是?怎么表述的?|如何表述|怎么写的?|怎样表述|怎么描述|[？?。！!，,]|一般|通常|请问|帮我查?一?下?|有没有|找找?|参考")


@intent(
    "precedents",
    "查以往报告的表述（先例）",
    cues=((r"以往|过去|先例|其他报告|别的报告|怎么表述|如何表述|怎么写的|怎样表述|怎么描述|参考.*报告|同类报告|别人怎么写", 2.5),),
    example="以往报告里资金拨付不及时怎么表述的？",
    needs_case=False,
    parse=lambda ctx: {"query": _FILLER.sub(" ", ctx.message).strip() or ctx.message, "kind": "suggestions" if "建议" in ctx.message else "problems"},
    tool="在先例库（以往报告）中检索某个话题的表述，返回带出处的段落",
    params={"query": {"type": "string", "description": "话题，如 资金拨付不及时"}, "kind": {"type": "string", "enum": ["problems", "suggestions"], "description": "存在问题或建议部分"}},
    required=("query",),
)
def precedents(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    topic, kind = args.get("query") or ctx.message, args.get("kind") or "problems"
    hits = ctx.workspace.search(topic, k=3, filters=SearchFilters(kinds=[kind]), owner=ctx.owner)
    if not hits:
        return ChatAnswer(intent="precedents", text=f"没有找到与“{topic}”相关的以往表述。")
    lines = [f"以往报告中与“{topic}”相关的表述（{'建议' if kind == 'suggestions' else '存在问题'}部分）："]
    for i, hit in enumerate(hits, start=1):
        lines.append(f"{i}. {hit.citation.display}\n\n   {hit.text}")
    return ChatAnswer(intent="precedents", text="\n\n".join(lines), citations=[source_ref(hit) for hit in hits])


# ── 解释规则或公式 ─────────────────────────────────────────────────────────────
@intent(
    "explain",
    "解释评分规则、公式或口径",
    cues=((r"怎么算|如何算|怎么计算|如何计算|计算公式|公式|算法|口径|规则是|评分规则|评分标准|怎么评|如何评|什么意思|含义|定义|怎么得出|怎么来的|依据什么|怎么划分|标准是", 2.5),),
    example=lambda ctx: "预算执行率怎么算的？",
    parse=_node_args,
    tool="解释某个指标的评分规则与算式、资金指标的计算公式或等级划分",
    params={"indicator": {"type": "string", "description": "指标或资金指标名称；“等级”解释等级划分"}},
)
def explain(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    assert ctx.case is not None
    from scoring.rules import REGISTRY as RULES

    message = ctx.message + (args.get("indicator") or "")
    lines: list[str] = []
    for metric in ctx.result.funds:
        label = FUND_LABELS.get(metric.key, "")
        if label and label in message and metric.formula:
            lines.append(f"{label}的算式：{metric.formula}。")
            message = message.replace(label, "")
    index = TreeIndex(ctx.case)
    node = _node(ctx, args.get("indicator"))
    nodes = [node] if node else Context(message, ctx.case, ctx.workspace, ctx.owner).mentioned_nodes()
    for node in nodes[:2]:
        if node is None:
            continue
        spec = index.by_path[node.path].node
        if node.is_leaf and spec.rule is not None:
            family = RULES.get(spec.rule.type)
            lines.append(f"“{node.path}”（分值{fmt_short(node.weight)}分）按“{family.label if family else spec.rule.type}”规则评分。")
            if spec.note:
                lines.append(f"评分标准：{spec.note}")
            lines.append(f"本案例的算式：{node.audit}；得{fmt(node.score)}分。")
            if node.reason:
                lines.append(f"扣分理由：{node.reason}")
        else:
            children = [n for n in ctx.result.nodes if n.parent == node.path]
            lines.append(f"“{node.path}”分值{fmt_short(node.weight)}分，得分为其下 {len(children)} 项指标得分之和：{node.audit}。")
    if "等级" in message or not lines:
        bands = "、".join(f"{b.name}（≥{fmt_short(b.min)}分）" for b in ctx.case.grading.bands)
        lines.append(f"综合得分为各一级指标得分之和（满分{fmt_short(ctx.case.full_score)}分）；等级划分：{bands}。本案例{fmt(ctx.result.total)}分，等级“{ctx.result.grade}”。")
    return ctx.checked("\n".join(lines), intent="explain")


# ── 稿与稿之间 ────────────────────────────────────────────────────────────────
@intent(
    "diff",
    "上一稿以来改了什么",
    cues=((r"改了什么|改了哪些|改动|有什么变化|有何变化|哪里变了|哪些变化|变化|区别|不同|差别|对比|比较|差异", 2.0), (r"上一稿|上一版|前一稿|之前|两稿|这一稿", 1.0)),
    example="和上一稿比改了什么？",
    needs_case=False,
    tool="比较本会话最近两稿的差异",
)
def diff(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    drafts = ctx.drafts()
    if len(drafts) < 2:
        return ChatAnswer(intent="diff", text="本会话还只有" + ("一稿" if drafts else "零稿") + "，没有可比较的上一稿。")
    old, new = ([p.text for s in d.sections for p in s.paragraphs] for d in drafts[-2:])
    lines = [f"与上一稿（{SECTIONS[drafts[-2].section].title if drafts[-2].section in SECTIONS else drafts[-2].section}）相比："]
    for tag, a, b, c, d in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag in ("replace", "delete"):
            lines.extend(f"- 删去：{text[:80]}{'…' if len(text) > 80 else ''}" for text in old[a:b])
        if tag in ("replace", "insert"):
            lines.extend(f"- 新增：{text[:80]}{'…' if len(text) > 80 else ''}" for text in new[c:d])
    if len(lines) == 1:
        lines.append("两稿内容相同。")
    return ChatAnswer(intent="diff", text="\n".join(lines))


@intent(
    "show_draft",
    "再看上一稿或上一稿的某一段",
    cues=((r"上一稿|上一版|前一稿|原来那稿|第[一二两三四五六七八九十\d]+段", 1.5), (r"看|显示|给我|发我|恢复|回到|还原|再发|是什么|写的什么", 0.5)),
    example="把上一稿的第一段给我看看",
    needs_case=False,
)
def show_draft(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    drafts = ctx.drafts()
    if not drafts:
        return ChatAnswer(intent="show_draft", text="本会话还没有草稿。")
    wants_previous = re.search(r"上一稿|上一版|前一稿|原来", ctx.message) and len(drafts) >= 2
    chosen = drafts[-2] if wants_previous else drafts[-1]
    paragraph = edits.ordinal(ctx.message, "段")
    if paragraph is not None:
        body = _body(chosen)
        if not 1 <= paragraph <= len(body):
            return ChatAnswer(intent="show_draft", text=f"该稿只有 {len(body)} 段正文，没有第{paragraph}段。")
        s, p = body[paragraph - 1]
        para = chosen.sections[s].paragraphs[p]
        cites = [c for sentence in para.sentences for c in sentence.citations]
        figs = [f for sentence in para.sentences for f in sentence.figures]
        return ChatAnswer(intent="show_draft", text=f"{'上一稿' if wants_previous else '当前稿'}第{paragraph}段：\n\n{para.text}", citations=cites, figures=figs, guard=chosen.guard)
    return _from_draft(ctx, "show_draft", chosen, "上一稿：" if wants_previous else "当前稿：")


# ── 帮助 ─────────────────────────────────────────────────────────────────────
CANNOT = (
    "我不能：回答与绩效评价和本案例无关的问题（天气、新闻、闲聊等）；上网查资料；替评价人作出评分判断"
    "（扣分理由、问题与原因以案例和评价人的话为准）；不经确认修改案例。"
)


def help_card(ctx: Context, lead: str) -> str:
    from workspace.chat.base import INTENTS

    lines = [lead, "", "我可以：" if ctx.case is not None else "载入案例后我可以："]
    for spec in INTENTS.values():
        if not spec.shown or spec.name in ("help", "off_topic"):
            continue
        example = spec.example_for(ctx) if ctx.case is not None or not callable(spec.example) else ""
        lines.append(f"- {spec.label}" + (f"：「{example}」" if example else ""))
    lines += ["", CANNOT]
    return "\n".join(lines)


@intent("help", "帮助", cues=((r"你能做什么|能做些?什么|会做什么|能干什么|怎么用|如何使用|使用说明|帮助|功能|help", 3.0),), needs_case=False, shown=False)
def help_(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    return ChatAnswer(intent="help", text=help_card(ctx, "没太明白您要做什么，可以换个说法，或参考下面的例子。"))


@intent("off_topic", "无关问题", needs_case=False, shown=False)
def off_topic(ctx: Context, args: dict[str, Any]) -> ChatAnswer:
    return ChatAnswer(intent="off_topic", text=help_card(ctx, "这个问题超出了我的范围：我只协助撰写和核对项目支出绩效评价报告。"))


@hookimpl
def register_intents(register: Any) -> None:
    for spec in BUILTIN_INTENTS:
        register(spec)


__all__ = ["CANNOT", "Case", "help_card"]
