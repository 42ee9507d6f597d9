"""Types shared by every record kind: ids, dates, numbers, booleans, country codes, citations."""

import datetime as dt
import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=100)]
"""A lowercase id such as ``nvidia-h100-sxm``: letters, digits and single hyphens."""

Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=300)]

StrictBool = Annotated[bool, Field(strict=True)]
"""``true`` or ``false`` only: pydantic's lax mode would read yes, 1, "off" and "true" too."""

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""A finite number: no booleans, no numeric strings, no .inf or .nan, and no 1e999 (which YAML
reads as infinity)."""


def _figure(value: Any) -> bool | float | int | str:
    # A disputed figure is a number, text or true/false, as the field it disputes is (the loader
    # checks which); what it never is: an infinity, NaN or empty text.
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number; found {value}")
        return value
    if isinstance(value, str) and value.strip():
        if len(value) > 300:
            raise ValueError("too long: at most 300 characters")
        return value
    raise ValueError(f"expected a number, text or true/false; found {value!r}")


Figure = Annotated[
    bool | float | int | str,
    PlainValidator(_figure),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "boolean"},
                              {"type": "string", "minLength": 1}]}),
]
"""A figure as another source gives it: a finite number, or text or true/false for such a
field."""


class Problems:
    """Problems a model validator finds, each at its own field, raised together.

    pydantic places a validator's error at the model itself; raising a ValidationError built from
    located line errors puts each problem on the line of the field it is about (pydantic prefixes
    the model's own location), so a record with three bad dates gets three messages.
    """

    def __init__(self, title: str) -> None:
        self.title = title
        self.found: list[InitErrorDetails] = []

    def add(self, loc: tuple[str | int, ...], value: Any, message: str,
            code: str = "invalid_value") -> None:
        self.found.append(InitErrorDetails(type=PydanticCustomError(code, message), loc=loc,
                                           input=value))

    def raise_any(self) -> None:
        if self.found:
            raise ValidationError.from_exception_data(self.title, self.found)


EARLIEST = dt.date(1990, 1, 1)
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def latest_allowed() -> dt.date:
    """Records may name dates up to one year ahead (announced effective dates)."""
    today = dt.date.today()
    return today.replace(year=today.year + 1) if not (today.month == 2 and today.day == 29) \
        else today.replace(year=today.year + 1, day=28)


PAST_ONLY = ("a date that records what has already happened (published, announced, made, "
             "last_reviewed) can be today at the latest; only scheduled dates (effective, "
             "compliance, end, release) may be up to a year ahead")


def _in_range(day: dt.date, past: bool = False) -> None:
    if day < EARLIEST:
        raise ValueError(f"date {day.isoformat()} is before 1990; check the year")
    if past and day > dt.date.today():
        raise ValueError(f"date {day.isoformat()} is in the future: {PAST_ONLY}")
    if day > latest_allowed():
        raise ValueError(f"date {day.isoformat()} is more than a year in the future; a scheduled "
                         "date (effective, compliance, end, release) may be up to a year ahead")


def _parse_past_day(value: Any) -> dt.date:
    return _parse_day(value, past=True)


def _parse_day(value: Any, past: bool = False) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date such as 2023-10-17, not a date and time")
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str) and (m := _DAY.match(value)):
        try:
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            raise ValueError(f"'{value}' is not a real calendar date") from None
    else:
        raise ValueError(f"expected a date written YYYY-MM-DD, such as 2023-10-17; found {value!r}")
    _in_range(day, past)
    return day


def _parse_past_partial(value: Any) -> str:
    return _parse_partial(value, past=True)


def _parse_partial(value: Any, past: bool = False) -> str:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        _in_range(value, past)
        return value.isoformat()
    if isinstance(value, str):
        if _DAY.match(value):
            return _parse_day(value, past).isoformat()
        if m := _MONTH.match(value):
            if not 1 <= int(m[2]) <= 12:
                raise ValueError(f"'{value}' has no month {m[2]}")
            # A month counts from its first day: "2026-12" is not in the future on 2026-12-02.
            _in_range(dt.date(int(m[1]), int(m[2]), 1), past)
            return value
    raise ValueError(
        f"expected a date written YYYY-MM-DD or YYYY-MM (month only), such as 2022-09; "
        f"found {value!r}"
    )


Day = Annotated[
    dt.date,
    BeforeValidator(_parse_day),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}),
]
"""A calendar day, written ``2023-10-17``; a scheduled one may be up to a year ahead."""

PastDay = Annotated[
    dt.date,
    BeforeValidator(_parse_past_day),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}),
]
"""A day on which something happened (published, made, last reviewed): today at the latest."""

PartialDate = Annotated[
    str,
    BeforeValidator(_parse_partial),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}(-\d{2})?$"}),
]
"""A day (``2023-10-17``) or, where the day is unknown, a month (``2022-09``)."""

PastPartialDate = Annotated[
    str,
    BeforeValidator(_parse_past_partial),
    WithJsonSchema({"type": "string", "pattern": r"^\d{4}-\d{2}(-\d{2})?$"}),
]
"""A day or month on which something happened: today (this month) at the latest."""


def partial_start(value: str | None) -> dt.date | None:
    """The first day a partial date can mean: ``2022-09`` -> 2022-09-01."""
    if value is None:
        return None
    return dt.date.fromisoformat(value if len(value) == 10 else value + "-01")


def _check_country(code: str) -> str:
    from kb.models import countries

    if code not in countries.ALPHA2:
        hint = countries.suggest(code)
        raise ValueError(f"'{code}' is not an ISO 3166-1 alpha-2 country code{hint}")
    return code


CountryCode = Annotated[
    str,
    AfterValidator(_check_country),
    WithJsonSchema({"type": "string", "pattern": "^[A-Z]{2}$"}),
]
"""An ISO 3166-1 alpha-2 code such as ``CN`` (always a string, never YAML's ``NO`` = false)."""

Tier = Literal["official", "reported", "estimated"]



class Record(BaseModel):
    """Base of every record model: unknown fields are errors, records are immutable."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        # No infinities or NaN in any number, even one a field's own type does not restrict.
        allow_inf_nan=False,
        use_attribute_docstrings=False,
        populate_by_name=True,
    )


class Citation(Record):
    """Which source supports which fields of a record."""

    source: Slug
    """Id of a record in records/sources/."""
    fields: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")]] = Field(
        min_length=1
    )
    """Field names or dotted paths (``dense_tops.fp8``) this source supports."""
    tier: Tier
    """official (datasheet, filing, regulation), reported (press, analyst) or estimated (by the
    project, with the working in ``note``)."""
    note: Text | None = None
    """How the figure was read from the source, e.g. "sparse figure halved"."""


class Disputed(Record):
    """A value another source gives for a field, which the record does not use."""

    field: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")]
    value: Figure
    source: Slug
    note: Text
    """Why the record uses its own value instead."""


def covered(path: str, citations: list[Citation]) -> bool:
    """Whether a dotted field path is supported by some citation (a parent path covers children)."""
    return any(path == f or path.startswith(f + ".") for c in citations for f in c.fields)
