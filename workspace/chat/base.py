"""What a chat capability is: one declaration from which the router, the help card and the agent's tools derive.

A capability (an *intent*) is an :class:`IntentSpec`: its name, the cues that
recognise it in a message (regular expressions with weights: data, not an
if-chain), the handler that answers it from the workspace's operations, the
example the help card shows, whether it needs a case, and — for the LLM agent —
the tool description and parameters. Built-ins are declared with :func:`intent`
in :mod:`workspace.chat.intents`; a plugin registers its own through the
``register_intents`` hook.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from assistant.figures import FigureBook
from assistant.guard import check_answer, trace_text
from assistant.models import ClaimViolation, Draft, FigureRef, GuardResult, Paragraph, Section, Sentence, SourceRef
from core.plugins import Registry
from scoring import Case, score_case
from scoring.results import NodeResult, ScoreResult

if TYPE_CHECKING:
    from workspace.workspace import Workspace


class ChatAnswer(BaseModel):
    intent: str
    text: str = Field(description="回答正文（Markdown）")
    citations: list[SourceRef] = Field(default_factory=list)
    figures: list[FigureRef] = Field(default_factory=list)
    guard: GuardResult | None = None
    draft: Draft | None = None
    proposal: dict[str, Any] | None = Field(default=None, description="待确认的案例修改（回复「确认」后写入）")
    changes: list[dict[str, Any]] = Field(default_factory=list, description="本次回答对案例所做的修改")
    case: dict[str, Any] | None = Field(default=None, description="修改后的案例（有修改时）")
    tools: list[dict[str, Any]] = Field(default_factory=list, description="智能体调用过的工具（名称、参数）")
    problem: int | None = Field(default=None, description="本回答所写的问题序号（「这个问题」的指代）")


#: A message this long carries pasted material (a report to check) after its first line.
PASTED = 300


@dataclass
class Context:
    """One message to answer: the case, the workspace, who asks, and the session's earlier messages."""

    message: str
    case: Case | None
    workspace: "Workspace"
    owner: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def instruction(self) -> str:
        """What the message asks: all of it, or the first line of a long one (a pasted report follows it)."""
        return self.message if len(self.message) < PASTED else self.message.split("\n", 1)[0][:120]

    @cached_property
    def result(self) -> ScoreResult:
        assert self.case is not None
        return score_case(self.case)

    @cached_property
    def book(self) -> FigureBook:
        assert self.case is not None
        return FigureBook.from_case(self.case, self.result)

    def replies(self) -> list[dict[str, Any]]:
        return [m for m in self.history if m.get("role") == "assistant"]

    def drafts(self) -> list[Draft]:
        """Every draft the session's answers carry, oldest first (「上一稿」 is the one before the last)."""
        return [Draft.model_validate(m["draft"]) for m in self.replies() if m.get("draft")]

    def pending(self) -> dict[str, Any] | None:
        """The change the last answer proposed and nobody confirmed or cancelled yet."""
        replies = self.replies()
        return replies[-1].get("proposal") if replies else None

    def last(self, key: str) -> Any:
        """The latest value of ``key`` in an answer's payload (``problem``: the last problem talked about)."""
        for reply in reversed(self.replies()):
            if reply.get(key) is not None:
                return reply[key]
        return None

    def mentioned_nodes(self, leaves_only: bool = False) -> list[NodeResult]:
        """Indicators the message names (longest names first; 「产出」 finds 「项目产出」)."""
        found: list[NodeResult] = []
        taken: list[tuple[int, int]] = []
        for alias, node in node_aliases(self.result):
            if leaves_only and not node.is_leaf:
                continue
            for match in re.finditer(re.escape(alias), self.message):
                span = (match.start(), match.end())
                if any(a < span[1] and span[0] < b for a, b in taken):
                    continue
                taken.append(span)
                if node not in found:
                    found.append(node)
        return found

    def claims(self, text: str) -> tuple[int, list[ClaimViolation]]:
        """The claim guard on an answer's text: names the case lacks, causes not traced to it."""
        from assistant.claims import check_claims

        assert self.case is not None
        sentences = [Sentence(text=part) for part in re.findall(r"[^。！？!?\n]+[。！？!?]?", text) if part.strip()]
        paragraph = Paragraph(sentences=sentences or [Sentence(text=text)])
        draft = Draft(project=self.case.project.name, section="answer", backend="chat", sections=[Section(name="answer", title="", paragraphs=[paragraph])])
        checked, violations, _ = check_claims(draft, self.case, None)
        return checked, violations

    def guarded(self, text: str, guard: GuardResult) -> GuardResult:
        """``guard`` with the claim guard's findings on ``text`` added."""
        checked, violations = self.claims(text)
        return guard.model_copy(update={"claims_checked": checked, "claim_violations": violations, "ok": guard.ok and not violations})

    def checked(self, text: str, **kwargs: Any) -> ChatAnswer:
        """An answer whose figures are traced and whose numbers went through the guard."""
        if self.case is None:
            return ChatAnswer(text=text, **kwargs)
        kwargs.setdefault("figures", trace_text(text, self.book))
        kwargs.setdefault("guard", self.guarded(text, check_answer(text, self.book)))
        return ChatAnswer(text=text, **kwargs)


def node_aliases(result: ScoreResult) -> list[tuple[str, NodeResult]]:
    """(name, node) pairs, longest first; 「项目产出」 is also found as 「产出」."""
    pairs: list[tuple[str, NodeResult]] = []
    for node in result.nodes:
        pairs.append((node.name, node))
        if node.name.startswith("项目") and len(node.name) > 3:
            pairs.append((node.name[2:], node))
    return sorted(pairs, key=lambda pair: -len(pair[0]))


Handler = Callable[[Context, dict[str, Any]], ChatAnswer]
Parser = Callable[[Context], dict[str, Any]]


def _no_args(ctx: Context) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class IntentSpec:
    """One thing the chat can do."""

    name: str  # stable identifier: the answer's intent, the SSE event, the agent's tool name
    label: str  # what the help card calls it: 起草章节或整份报告
    handle: Handler
    cues: tuple[tuple[str, float], ...] = ()  # (regular expression, weight): a message scores the weights it matches
    example: Callable[[Context], str] | str = ""  # an example that works on the loaded case
    needs_case: bool = True
    parse: Parser = _no_args  # the handler's arguments from the message (the agent passes its own)
    tool: str = ""  # the agent tool's description; empty: not offered to the agent
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # the tool's JSON-schema properties
    required: tuple[str, ...] = ()
    ready: Callable[[Context], bool] | None = None  # when it may be chosen at all (「确认」 only with a pending change)
    shown: bool = True  # listed on the help card

    def score(self, ctx: Context) -> float:
        if self.ready is not None and not self.ready(ctx):
            return 0.0
        return sum(weight for pattern, weight in self.cues if re.search(pattern, ctx.instruction, re.I))

    def example_for(self, ctx: Context) -> str:
        return self.example(ctx) if callable(self.example) else self.example


BUILTIN_INTENTS: list[IntentSpec] = []

#: Every chat capability by name: the built-ins and those of installed plugins.
INTENTS: Registry[IntentSpec] = Registry("register_intents", "对话能力", builtins=("workspace.chat.intents",))


def intent(name: str, label: str, **kwargs: Any) -> Callable[[Handler], Handler]:
    """Declare the decorated handler as the built-in capability ``name``."""

    def decorator(handle: Handler) -> Handler:
        BUILTIN_INTENTS.append(IntentSpec(name=name, label=label, handle=handle, **kwargs))
        return handle

    return decorator


#: Below this score no capability was asked for: the help card (or the off-topic answer) is given.
THRESHOLD = 1.0


def scores(ctx: Context) -> list[tuple[float, int, IntentSpec]]:
    """Every capability's score for the message, best first (ties: the earlier-declared)."""
    ranked = [(spec.score(ctx), -i, spec) for i, spec in enumerate(INTENTS.values())]
    ranked.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [(score, -order, spec) for score, order, spec in ranked]


def route_context(ctx: Context) -> str:
    ranked = scores(ctx)
    if ranked and ranked[0][0] >= THRESHOLD:
        return ranked[0][2].name
    return "help" if on_topic(ctx) else "off_topic"


_DOMAIN = re.compile(
    r"指标|得分|扣分|分值|问题|报告|绩效|评价|预算|资金|执行率|到位率|案例|草稿|初稿|章节|段|建议|结论|先例|以往|项目|发现|原因|"
    r"等级|总分|满意度|产出|效益|决策|过程|规则|公式|核对|稿|事例|金额|写|改"
)


def on_topic(ctx: Context) -> bool:
    """Whether the message is about evaluation work at all (an ambiguous request gets help; weather gets a refusal)."""
    if _DOMAIN.search(ctx.instruction):
        return True
    return ctx.case is not None and any(alias in ctx.message for alias, _ in node_aliases(ctx.result))
