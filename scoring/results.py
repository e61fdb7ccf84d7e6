"""What the engine returns: per-node scores with audit trails, fund metrics, grade and checks."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

import re

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SerializerFunctionWrapHandler, ValidatorFunctionWrapHandler
from pydantic import computed_field, field_serializer, model_serializer, model_validator

from scoring.rules.base import Audit

Severity = Literal["error", "warning", "info"]


class ResultModel(BaseModel):
    """Frozen, with Decimals written to JSON as numbers: the base of every result model."""

    model_config = ConfigDict(frozen=True)

    @field_serializer("*", when_used="json")
    def _decimals_as_numbers(self, value: object) -> object:
        # JSON consumers want numbers, not strings; values are already rounded.
        if isinstance(value, Decimal):
            return float(value)
        return value


class NodeResult(ResultModel):
    path: str = Field(description="指标路径，如 项目过程/资金管理/预算执行率")
    name: str
    level: int = Field(description="层级：1 为一级指标")
    parent: str | None
    is_leaf: bool
    weight: Decimal
    score: Decimal
    rate: Decimal | None = Field(description="得分率（%）；分值为 0 时为空")
    rule: str | None = Field(default=None, description="评分规则类型（仅末级）")
    reason: str | None = Field(default=None, description="扣分理由")
    findings: int = Field(default=0, description="计入该指标的问题条数（挂在该指标上、未标 waived 的）")
    #: The audit's text, or the function that writes it on first read (the engine's results: see :meth:`built`).
    _audit: Audit = PrivateAttr(default="")

    @model_validator(mode="wrap")
    @classmethod
    def _keep_audit(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> "NodeResult":
        # ``audit`` is read as input (a dumped result read back) though it is a computed field.
        node = handler(data)
        if isinstance(data, dict) and "audit" in data:
            node.__pydantic_private__["_audit"] = str(data["audit"])
        return node

    @computed_field(description="规则代入数字后的算式")  # type: ignore[prop-decorator]
    @property
    def audit(self) -> str:
        private = self.__pydantic_private__
        text = private["_audit"]  # type: ignore[index]
        if not isinstance(text, str):
            text = private["_audit"] = text()  # type: ignore[index]
        return text

    @model_serializer(mode="wrap")
    def _in_field_order(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A computed field is written last; keep the order results always had (…, rule, audit, reason, findings).
        data: dict[str, Any] = handler(self)
        if "audit" in data:
            for key in ("reason", "findings"):
                if key in data:
                    data[key] = data.pop(key)
        return data

    @classmethod
    def built(cls, fields: dict[str, Any], audit: Audit) -> "NodeResult":
        """A node from values the engine computed, their types already right, without validating them again.

        ``fields`` has every field above, in order; ``audit`` is the text or a function writing it. 10,000
        leaves built through validation cost more than scoring them (tests/scoring check that a node built
        here equals the same node validated).
        """
        return _unvalidated(cls, fields, _NODE_FIELDS, {"_audit": audit})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NodeResult):
            return NotImplemented
        return self.__dict__ == other.__dict__ and self.audit == other.audit

    def __getstate__(self) -> dict[Any, Any]:
        self.audit  # a function cannot be pickled: write the text first
        return super().__getstate__()


_new_model = object.__new__
_set = object.__setattr__
_Model = TypeVar("_Model", bound=BaseModel)


def _unvalidated(cls: type[_Model], fields: dict[str, Any], fields_set: set[str], private: dict[str, Any]) -> _Model:
    """A ``cls`` holding ``fields`` (every field, in order, already of the right types) and ``private``, without validating."""
    model = _new_model(cls)
    _set(model, "__dict__", fields)
    _set(model, "__pydantic_fields_set__", fields_set)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", private)
    return model
_NODE_FIELDS = set(NodeResult.model_fields)


class NodeSource(Protocol):
    """What a lazily built result reads its nodes from (the engine's :class:`scoring.table.NodeTable`)."""

    def all(self) -> list[NodeResult]: ...

    def node(self, i: int) -> NodeResult: ...


class FundMetric(ResultModel):
    key: str
    label: str
    value: Decimal | None
    unit: Literal["万元", "%"]
    formula: str


class Check(ResultModel):
    kind: str = Field(description="检查类别，如 stated_score、weight_sum、fund_identity")
    severity: Severity
    location: str = Field(description="出处：指标路径、资金项或 stated 中的键")
    message: str = Field(description="给审核人看的中文说明")
    stated: Decimal | str | None = None
    computed: Decimal | str | None = None

    @computed_field(description="出处的中文名称（给用户看；location 是机读的键）")  # type: ignore[prop-decorator]
    @property
    def place(self) -> str:
        return place_label(self.location)


_STATED_PLACES = {"stated.total": "总分", "stated.grade": "等级", "stated.full_score": "满分", "full_score": "满分"}


def place_label(location: str) -> str:
    """A check's location as a user reads it: 资金结余 for ``funds.balance``, 问题清单第8条 for ``findings[7]``."""
    from scoring.funds import FUND_LABELS

    if location in _STATED_PLACES:
        return _STATED_PLACES[location]
    if match := re.fullmatch(r"funds\.lines\.(\w+)", location):
        return FUND_LABELS.get(f"lines_{match.group(1)}", match.group(1))
    if match := re.fullmatch(r"(?:stated\.)?funds\.(\w+)", location):
        return FUND_LABELS.get(match.group(1), match.group(1))
    if match := re.fullmatch(r"findings\[(\d+)\]", location):
        return f"问题清单第{int(match.group(1)) + 1}条"
    if match := re.fullmatch(r"stated\.groups\[(\d+)\]", location):
        return f"报告所列小计第{int(match.group(1)) + 1}项"
    return location


class ScoreResult(ResultModel):
    project: str
    full_score: Decimal
    total: Decimal
    rate: Decimal = Field(description="总得分率（%）")
    grade: str
    nodes: list[NodeResult]
    funds: list[FundMetric]
    checks: list[Check]
    #: The engine's node table, when ``nodes`` has not been read yet (see :meth:`built`).
    _table: NodeSource | None = PrivateAttr(default=None)

    @classmethod
    def built(cls, fields: dict[str, Any], table: "NodeSource") -> "ScoreResult":
        """A result from the engine's figures, its nodes built from ``table`` when ``nodes`` is first read.

        ``fields`` has every field but ``nodes``, in order. Most callers of a 10,000-leaf score read the
        total and the checks, or a few nodes; the rest are never built.
        """
        return _unvalidated(cls, fields, _RESULT_FIELDS, {"_table": table})

    def _nodes(self) -> list[NodeResult]:
        """``nodes``, built from the table on first read and put in its place among the fields."""
        fields = self.__dict__
        nodes: list[NodeResult] | None = fields.get("nodes")
        if nodes is None:
            table = self.__pydantic_private__["_table"]  # type: ignore[index]
            nodes = table.all()
            ordered = {name: nodes if name == "nodes" else fields[name] for name in _RESULT_ORDER}
            fields.clear()
            fields.update(ordered)
        return nodes

    def node_at(self, position: int) -> NodeResult:
        """The node at ``position`` in pre-order (built alone if ``nodes`` has not been read)."""
        nodes: list[NodeResult] | None = self.__dict__.get("nodes")
        if nodes is None:
            table: NodeSource = self.__pydantic_private__["_table"]  # type: ignore[index]
            return table.node(position)
        return nodes[position]

    if not TYPE_CHECKING:  # to the type checker ``nodes`` is the field above

        def __getattr__(self, name: str) -> Any:
            if name == "nodes":
                return self._nodes()
            return super().__getattr__(name)

    @model_serializer(mode="wrap")
    def _with_nodes(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]  # (no return type: the schema stays the model's)
        self._nodes()
        return handler(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ScoreResult):
            return NotImplemented
        return type(self) is type(other) and self._nodes() == other._nodes() and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # a list of nodes is not hashable

    def __iter__(self) -> Any:
        self._nodes()
        return super().__iter__()

    def __repr_args__(self) -> Any:
        self._nodes()
        return super().__repr_args__()

    def __getstate__(self) -> dict[Any, Any]:
        self._nodes()
        state = super().__getstate__()
        state["__pydantic_private__"] = {"_table": None}  # the table holds the case's tree: the nodes are enough
        return state

    def node(self, path_or_name: str) -> NodeResult:
        """Find a node by full path, or by name when the name is unique."""
        for node in self.nodes:
            if node.path == path_or_name:
                return node
        matches = [node for node in self.nodes if node.name == path_or_name]
        if len(matches) != 1:
            raise KeyError(path_or_name)
        return matches[0]

    def fund(self, key: str) -> FundMetric:
        for metric in self.funds:
            if metric.key == key:
                return metric
        raise KeyError(key)

    @property
    def categories(self) -> list[NodeResult]:
        """一级指标小计."""
        return [node for node in self.nodes if node.level == 1]


_RESULT_FIELDS = set(ScoreResult.model_fields)
_RESULT_ORDER = tuple(ScoreResult.model_fields)
