"""The chat without a model: what evaluators ask, in the ways they phrase it, on the sample case and on seed 004.

The utterance table is the router's specification: each line is a message, the
session state it is said in, and the capability that must answer it.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import CASES, ROOT
from core.settings import load_settings
from scoring import Case, load_case
from workspace import Workspace
from workspace.chat import INTENTS, ChatAnswer, answer, route

SAMPLE = load_case(ROOT / "corpus" / "cases" / "sample_case.yaml")
SEED_004 = load_case(CASES / "seed_004.yaml")
BOTH = pytest.mark.parametrize("case", [SAMPLE, SEED_004], ids=["sample", "seed_004"])

PROPOSAL: list[dict[str, Any]] = [{"role": "user", "content": "再加一条：某项目验收滞后"}, {"role": "assistant", "content": "将新增", "proposal": {"op": "add_finding", "finding": {"nature": "项目验收不及时"}}}]

#: (message, state, expected capability). State: "" (a fresh session) or "proposal" (the last answer proposed a change).
UTTERANCES: list[tuple[str, str, str]] = [
    # 起草
    ("帮我起草存在的问题部分", "", "draft"),
    ("给我一份完整的报告初稿", "", "draft"),
    ("写一下有关建议", "", "draft"),
    ("生成评价结论", "", "draft"),
    ("来一份指标分析", "", "draft"),
    ("帮我写基本情况", "", "draft"),
    ("重新写一版存在的问题", "", "draft"),
    # 为什么扣分
    ("产出指标为什么扣分", "", "why_deducted"),
    ("决策为什么没得满分", "", "why_deducted"),
    ("扣分的原因有哪些？", "", "why_deducted"),
    ("哪些指标扣分了", "", "why_deducted"),
    ("预算执行率为何扣分", "", "why_deducted"),
    ("效益部分扣分理由是什么", "", "why_deducted"),
    # 数字
    ("预算执行率是多少，扣了几分？", "", "figure"),
    ("总分多少", "", "figure"),
    ("资金到位率是多少", "", "figure"),
    ("评价等级是什么", "", "figure"),
    ("产出得了几分", "", "figure"),
    # 指标下的问题
    ("制度执行有效性下面有哪些问题？", "", "findings"),
    ("问题清单里有多少条", "", "findings"),
    ("过程指标涉及的问题有哪些", "", "findings"),
    ("列出所有问题", "", "findings"),
    # 更具体
    ("把第二个问题写得更具体一些", "", "revise"),
    ("第一个问题展开写详细点", "", "revise"),
    ("第三个问题再补充些事例和金额", "", "revise"),
    ("把第2段写得更详细", "", "revise"),
    # 精简、合并
    ("把第三段精简一下", "", "shorten"),
    ("太长了，压缩一下", "", "shorten"),
    ("把第二段和第三段合并", "", "shorten"),
    ("写得简洁一点", "", "shorten"),
    # 改写原因
    ("把第一个问题的原因改为：采购计划与项目进度衔接不紧", "", "rewrite_cause"),
    ("第二个问题的原因应该是合同管理缺少专人跟踪", "", "rewrite_cause"),
    ("原因写成：项目单位对政府采购政策理解不到位", "", "rewrite_cause"),
    # 新增、更正问题
    ("再加一条：某某项目验收滞后两个月", "", "add_finding"),
    ("新增一个问题：网格终端维保合同未约定服务响应时限", "", "add_finding"),
    ("漏了一条，监理费 19.20 万元支付滞后", "", "add_finding"),
    ("第3条问题的金额改为200万元", "", "correct_finding"),
    ("第1条的单位写错了，应为临江市数据资源局", "", "correct_finding"),
    # 确认、取消
    ("确认", "proposal", "confirm"),
    ("好的", "proposal", "confirm"),
    ("可以，写入吧", "proposal", "confirm"),
    ("取消", "proposal", "cancel"),
    ("算了", "proposal", "cancel"),
    # 核对
    ("这份报告的总分算得对吗？", "", "check"),
    ("帮我核对一下报告里的数字", "", "check"),
    ("有没有算错的地方", "", "check"),
    # 先例
    ("以往报告里资金拨付不及时怎么表述的？", "", "precedents"),
    ("其他报告怎么写绩效目标不明确的", "", "precedents"),
    ("有没有先例：政府采购程序后置", "", "precedents"),
    # 解释
    ("预算执行率怎么算的？", "", "explain"),
    ("验收及时性的评分规则是什么", "", "explain"),
    ("等级是怎么划分的", "", "explain"),
    ("得分率是什么意思", "", "explain"),
    # 稿与稿
    ("和上一稿比改了什么？", "", "diff"),
    ("这一稿有什么变化", "", "diff"),
    ("把上一稿给我看看", "", "show_draft"),
    ("第一段是什么", "", "show_draft"),
    # 无关与含糊
    ("今天天气怎么样", "", "off_topic"),
    ("给我讲个笑话", "", "off_topic"),
    ("谁是美国总统", "", "off_topic"),
    ("你好", "", "off_topic"),
    ("好的", "", "off_topic"),  # nothing pending: not a confirmation
    ("帮我看看这个项目", "", "help"),
    ("报告", "", "help"),
    ("你能做什么", "", "help"),
]


@BOTH
def test_the_router_gets_every_utterance_right(case: Case) -> None:
    wrong = [(text, expected, got) for text, state, expected in UTTERANCES if (got := route(text, case, history=PROPOSAL if state else [])) != expected]
    print(f"{len(UTTERANCES) - len(wrong)}/{len(UTTERANCES)} utterances routed right on {case.project.name}")
    assert len(UTTERANCES) >= 40
    assert wrong == []


def test_every_capability_is_in_the_table_and_one_declaration() -> None:
    assert {expected for _, _, expected in UTTERANCES} == set(INTENTS)


# ── what the answers say ─────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(load_settings(home=tmp_path_factory.mktemp("chat-home")))


class Session:
    """A conversation without the server: the history kept as the workspace stores it."""

    def __init__(self, case: Case, workspace: Workspace) -> None:
        self.case, self.workspace, self.history = case, workspace, []  # type: ignore[var-annotated]

    def say(self, text: str) -> ChatAnswer:
        reply = answer(text, self.case, self.workspace, None, self.history)
        payload: dict[str, Any] = {"intent": reply.intent, "proposal": reply.proposal, "problem": reply.problem, "changes": reply.changes}
        if reply.draft is not None:
            payload["draft"] = reply.draft.model_dump(mode="json")
        self.history += [{"role": "user", "content": text}, {"role": "assistant", "content": reply.text, **payload}]
        if reply.case is not None:
            self.case = self.workspace.parse_case(reply.case)
        return reply


@BOTH
def test_whole_report_and_why_a_category_lost_points(case: Case, workspace: Workspace) -> None:
    chat = Session(case, workspace)
    report = chat.say("给我一份完整的报告初稿")
    assert report.draft is not None and report.draft.section == "report" and report.guard is not None and report.guard.ok
    why = chat.say("产出指标为什么扣分")
    assert why.intent == "why_deducted" and why.guard is not None and why.guard.ok
    assert "扣分的末级指标" in why.text and "理由：" in why.text and "算式：" in why.text
    leaf_keys = [f.key for f in why.figures if f.key.startswith("node:") and f.key.count("/") == 2]
    assert leaf_keys, "each deducted leaf's figures are traced to the scoring module"


@BOTH
def test_a_more_specific_problem_adds_detail_or_says_there_is_none(case: Case, workspace: Workspace) -> None:
    chat = Session(case, workspace)
    first = chat.say("帮我起草存在的问题部分")
    detailed = chat.say("把第二个问题写得更具体一些")
    assert detailed.intent == "revise" and detailed.guard is not None and detailed.guard.ok
    assert "涉及指标" in detailed.text
    assert detailed.draft is not None and detailed.draft.markdown() not in first.text, "not the same paragraph word for word"
    again = chat.say("这个问题再详细一点")
    assert again.problem == 2
    assert "没有更多事例" in again.text or "更具体" in again.text
    changed = chat.say("和上一稿比改了什么？")
    assert changed.intent == "diff" and ("新增" in changed.text or "相同" in changed.text)


def test_nothing_more_to_add_is_said(workspace: Workspace) -> None:
    chat = Session(SAMPLE, workspace)
    chat.say("把第一个问题写得更具体一些")
    again = chat.say("把第一个问题写得更具体一些")
    assert "没有更多事例" in again.text


@BOTH
def test_add_a_finding_by_a_sentence_with_confirmation(case: Case, workspace: Workspace) -> None:
    chat = Session(case, workspace)
    before = len(case.findings)
    proposed = chat.say("再加一条：永州市政府门户网站运维项目验收滞后两个月")
    assert proposed.intent == "propose_change" and proposed.proposal is not None
    assert "验收" in proposed.proposal["finding"]["nature"] and "回复「确认」" in proposed.text
    assert len(chat.case.findings) == before  # nothing applied yet
    done = chat.say("确认")
    assert done.intent == "confirm" and done.changes and done.changes[0]["op"] == "add_finding"
    assert len(chat.case.findings) == before + 1 and "已在问题清单中新增" in done.text
    assert done.guard is not None and done.guard.ok, done.guard
    assert chat.say("确认").intent != "confirm"  # nothing pending any more


def test_cancel_correct_and_rewrite_a_cause(workspace: Workspace) -> None:
    chat = Session(SAMPLE, workspace)
    chat.say("第3条问题的金额改为200万元")
    assert chat.say("取消").intent == "cancel" and chat.case.findings[2].amount != 200
    proposal = chat.say("第3条问题的金额改为200万元").proposal
    assert proposal is not None and proposal["field"] == "amount" and proposal["new"] == "200"
    done = chat.say("好的")
    assert chat.case.findings[2].amount == 200 and done.changes[0]["field"] == "amount"
    chat.say("把第一个问题的原因改为：采购计划与项目进度衔接不紧")
    done = chat.say("确认")
    assert done.changes[0]["op"] == "set_cause"
    draft = chat.say("帮我起草存在的问题部分")
    assert "采购计划与项目进度衔接不紧" in draft.text  # the cause is kept in the case and drafted from


def test_shorten_merge_and_show_paragraphs(workspace: Workspace) -> None:
    chat = Session(SEED_004, workspace)
    assert "还没有草稿" in chat.say("把第一段精简一下").text
    chat.say("帮我起草存在的问题部分")
    short = chat.say("把第一段精简一下")
    assert short.intent == "shorten" and short.guard is not None and short.guard.ok
    assert "已精简第1段" in short.text or "无可删减" in short.text
    merged = chat.say("把第一段和第二段合并")
    assert "已把第1、2段合并为一段" in merged.text
    shown = chat.say("把上一稿的第一段给我看看")
    assert shown.intent == "show_draft" and "上一稿第1段" in shown.text


@BOTH
def test_findings_explain_and_check(case: Case, workspace: Workspace) -> None:
    chat = Session(case, workspace)
    listed = chat.say("制度执行有效性下面有哪些问题？")
    assert "挂在" in listed.text and "条" in listed.text
    explained = chat.say("预算执行率怎么算的？")
    assert "算式" in explained.text and explained.guard is not None and explained.guard.ok
    grades = chat.say("等级是怎么划分的")
    assert "等级划分" in grades.text


@BOTH
def test_the_help_card_lists_what_works_and_what_cannot(case: Case, workspace: Workspace) -> None:
    card = answer("今天天气怎么样", case, workspace).text
    assert "超出了我的范围" in card and "我不能" in card
    for spec in INTENTS.values():
        if spec.shown:
            assert spec.label in card
    example = next(line for line in card.splitlines() if "为什么扣分" in line)
    quoted = example.split("「", 1)[1].split("」", 1)[0]
    assert route(quoted, case) == "why_deducted"  # the card's examples work on the loaded case
    assert "超出" not in answer("帮我看看这个项目", case, workspace).text


def test_a_pasted_report_is_checked(workspace: Workspace) -> None:
    from conftest import seed_path

    text = seed_path("004").read_text(encoding="utf-8")
    reply = answer("帮我核对这份报告：\n" + text, None, workspace)
    assert reply.intent == "check" and "已核对粘贴的报告" in reply.text and "【" in reply.text


def test_without_a_case(workspace: Workspace) -> None:
    assert "还没有案例" in answer("产出为什么扣分", None, workspace).text
    assert "载入案例后" in answer("你能做什么", None, workspace).text




def test_a_plugin_capability_is_one_declaration(workspace: Workspace) -> None:
    from core.plugins import hookimpl, register_plugin, unregister_plugin
    from workspace.chat import IntentSpec
    from workspace.chat.agent import tools

    def risks(ctx: Any, args: dict[str, Any]) -> ChatAnswer:
        return ChatAnswer(intent="risks", text="风险提示：暂无。")

    class Risks:
        @hookimpl
        def register_intents(self, register: Any) -> None:
            register(IntentSpec(name="risks", label="列出项目风险", handle=risks, cues=((r"风险", 3.0),), example="这个项目有哪些风险？", tool="列出项目风险"))

    name = register_plugin(Risks(), "tests.chat-risks")
    try:
        assert route("这个项目有哪些风险？", SAMPLE) == "risks"  # the router
        assert "列出项目风险：「这个项目有哪些风险？」" in answer("你能做什么", SAMPLE, workspace).text  # the help card
        assert "risks" in {spec.name for spec in tools()}  # the agent's tools
    finally:
        unregister_plugin(name)
    assert route("这个项目有哪些风险？", SAMPLE) != "risks"
