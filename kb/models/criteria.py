"""Rule criteria as data: ``all`` / ``any`` / ``not`` over comparisons of named metrics.

The comparable metrics come from one registry (:data:`kb.metrics.METRICS`); the model's fields are
generated from it, so an unknown metric is an unknown field with a line number.
"""

from typing import Annotated, Any, Optional

from pydantic import BeforeValidator, Field, WithJsonSchema, create_model, model_validator

from kb.metrics import METRICS
from kb.models.common import Day, Number, Record, ShortText, Slug, StrictBool

StrictNumber = Number


class _Test(Record):
    @model_validator(mode="after")
    def _not_empty(self) -> "_Test":
        if not any(getattr(self, op) is not None for op in self.ops()):
            raise ValueError("a comparison needs an operator: " + ", ".join(self.ops()))
        return self

    @classmethod
    def ops(cls) -> tuple[str, ...]:
        return tuple(name for name in cls.model_fields if name != "in_") + (
            ("in_",) if "in_" in cls.model_fields else ()
        )

    def items(self) -> list[tuple[str, Any]]:
        """(operator, value) pairs that are set, in a fixed order; ``in_`` shown as ``in``."""
        return [
            ("in" if op == "in_" else op, getattr(self, op))
            for op in self.ops()
            if getattr(self, op) is not None
        ]


class _RangeTest(_Test):
    @model_validator(mode="after")
    def _satisfiable(self) -> "_RangeTest":
        # Every operator given must hold, so bounds that exclude each other make a comparison
        # (and often the whole control) silently match no chip.
        ops = dict(self.items())
        lows = [(op, ops[op]) for op in ("gte", "gt") if op in ops]
        highs = [(op, ops[op]) for op in ("lte", "lt") if op in ops]
        if "eq" in ops:
            lows.append(("eq", ops["eq"]))
            highs.append(("eq", ops["eq"]))
        words = {"gte": ">=", "gt": ">", "lte": "<=", "lt": "<", "eq": "="}
        for low_op, low in lows:
            for high_op, high in highs:
                strict = low_op == "gt" or high_op == "lt"
                if low > high or (low == high and strict):
                    raise ValueError(f"no value is both {words[low_op]} {_shown(low)} and "
                                     f"{words[high_op]} {_shown(high)}: the comparison matches "
                                     "nothing")
        return self


def _shown(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else f"{value:g}"


class NumberTest(_RangeTest):
    """Numeric comparison: any of gte, gt, lte, lt, eq (all given must hold)."""

    gte: StrictNumber | None = None
    gt: StrictNumber | None = None
    lte: StrictNumber | None = None
    lt: StrictNumber | None = None
    eq: StrictNumber | None = None


class DateTest(_RangeTest):
    """Date comparison: any of gte, gt, lte, lt, eq."""

    gte: Day | None = None
    gt: Day | None = None
    lte: Day | None = None
    lt: Day | None = None
    eq: Day | None = None


def _text_shorthand(value: Any) -> Any:
    return {"eq": value} if isinstance(value, str) else value


class _TextTestModel(_Test):
    """Text comparison: eq, or in a list."""

    eq: ShortText | None = None
    in_: list[ShortText] | None = Field(default=None, alias="in", min_length=1)


TextTest = Annotated[
    _TextTestModel,
    BeforeValidator(_text_shorthand),
    # The schema says what the shorthand accepts: a plain string means "eq".
    WithJsonSchema({"anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "additionalProperties": False, "minProperties": 1, "properties": {
            "eq": {"type": "string", "minLength": 1},
            "in": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
        }},
    ]}),
]
BoolTest = StrictBool

_TEST_FOR = {"number": NumberTest, "date": DateTest, "text": TextTest, "bool": BoolTest}

class ControlOutcome(Record):
    """Another control's answer for the same chip: true where that control's criterion catches
    it. ``rule`` left out means the rule the criterion is written in."""

    rule: Slug | None = None
    control: ShortText


def _control_shorthand(value: Any) -> Any:
    return {"control": value} if isinstance(value, str) else value


ControlTest = Annotated[
    ControlOutcome,
    BeforeValidator(_control_shorthand),
    WithJsonSchema({"anyOf": [
        {"type": "string", "minLength": 1, "description": "a control of the same rule"},
        {"type": "object", "additionalProperties": False, "required": ["control"],
         "properties": {"rule": {"type": "string"}, "control": {"type": "string"}}},
    ]}),
]

GROUPS = ("all", "any", "not_", "control")
"""Criterion keys that are not metric comparisons."""

_fields: dict[str, Any] = {
    # Forward references to the model being built need typing.Optional, not "X | None".
    "all": (Optional[list["Criterion"]], Field(default=None, min_length=1)),  # noqa: UP045
    "any": (Optional[list["Criterion"]], Field(default=None, min_length=1)),  # noqa: UP045
    "not_": (Optional["Criterion"], Field(default=None, alias="not")),
    "control": (Optional[ControlTest], Field(  # noqa: UP045
        default=None, description="another control's outcome: 3A090.b covers items 'not "
        "specified by 3A090.a', written not: {control: 3A090.a}")),
}
for _name, _metric in METRICS.items():
    _fields[_name] = (_TEST_FOR[_metric.type] | None, Field(default=None, description=_metric.doc))


def _check_not_empty(self: Any) -> Any:
    if not self.parts():
        raise ValueError(
            "an empty criterion matches nothing; give a metric comparison or all/any/not"
        )
    return self


Criterion = create_model(  # type: ignore[call-overload]
    "Criterion",
    __base__=Record,
    __doc__="A condition on a chip's metrics; several keys in one mapping must all hold.",
    __validators__={"_check_not_empty": model_validator(mode="after")(_check_not_empty)},
    **_fields,
)


def _parts(self: Any) -> list[tuple[str, Any]]:
    """The set keys of a criterion, in a fixed order: groups first, then metrics by registry."""
    out = []
    for key in GROUPS:
        if getattr(self, key) is not None:
            out.append((key, getattr(self, key)))
    for name in METRICS:
        if getattr(self, name) is not None:
            out.append((name, getattr(self, name)))
    return out


Criterion.parts = _parts  # type: ignore[attr-defined]
Criterion.model_rebuild()


def parse_criterion(data: Any) -> Any:
    """Validate a criterion given as plain data (e.g. from ``kb whatif``)."""
    return Criterion.model_validate(data)
