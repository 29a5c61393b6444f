"""Typed building blocks for the mocks' request and response schemas (pydantic v2).

Each type is declared once and gives both its check and its JSON Schema, and the two agree by
construction: the schema's pattern is the very regular expression the check runs, so a request the
document calls valid is never refused for its shape, and one it calls invalid never gets in. What a
schema cannot say (a code that exists, a date not in the future, a record's state) is a rule of the
system, refused with 409 by the handler; 422 is kept for requests that break the document.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema
from pydantic_core import PydanticCustomError

from kipu_harness.events import Problem

# Nothing a mock stores may be unsendable later: no C0/C1 controls, DEL or non-characters (HL7
# and X12 cannot carry them), and no unpaired surrogates (JSON can smuggle one in as a \u escape).
# The document's patterns leave surrogates out (regex engines that validate documents refuse a
# surrogate range, and then ignore the whole pattern); the check refuses them all the same.
_BAD = r"\u0000-\u001f\u007f-\u009f\ufffe\uffff"
PLAIN = f"^[^{_BAD}]*$"
PLAIN_NONBLANK = f"^[^{_BAD}]*[^\\s{_BAD}][^{_BAD}]*$"
_SURROGATE = re.compile("[\ud800-\udfff]")

# A real calendar date, leap years included, as one regular expression: the document's generators
# then make only real dates, and the check refuses exactly what the pattern refuses.
_YEAR = r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_LEAP = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[2468][048]|[13579][26]|0[48])00)"
_MONTH_DAY = (r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
              r"|02-(?:0[1-9]|1[0-9]|2[0-8]))")
DATE = f"(?:{_YEAR}-{_MONTH_DAY}|{_LEAP}-02-29)"
TIME = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]"

SEXES = ("Male", "Female", "Unknown")
US_STATES = tuple(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split()
)
MAX_ID = 2**63 - 1  # SQLite's INTEGER


def _error(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def text(max_len: int = 100, *, required: bool = False, pattern: str | None = None, what: str = "",
         strip: bool = True, example: str | None = None, nullable: bool = False) -> Any:
    """A string field. Free text is stripped; a blank or missing required field is 'is required'.

    ``pattern`` (a full-match regular expression, ECMA and Python alike) is for coded values such
    as a ZIP code, which are not stripped: the document's pattern must judge the same string.
    """
    shape = re.compile(pattern) if pattern else None
    plain = re.compile(PLAIN)

    def check(value: Any) -> Any:
        if value is None:
            if required and not nullable:
                raise _error("missing", "is required")
            return None
        if not isinstance(value, str):
            raise _error("string_type", "must be a string")
        if len(value) > max_len:
            raise _error("too_long", f"must be at most {max_len} characters")
        # Python's `$` (which the document's validators use) lets one trailing newline through;
        # the check does the same and drops it, so both judge every string alike.
        core = value[:-1] if value.endswith("\n") else value
        if required and shape is None and not core.strip():  # blank, tabs included: not given
            raise _error("missing", "is required")
        if not plain.fullmatch(core) or _SURROGATE.search(core):
            raise _error("control_character", "must not contain control characters or unpaired surrogates")
        if shape is not None:
            if core == "" and not required:
                return None
            if not shape.fullmatch(core):
                raise _error("pattern", f"{value!r} is not {what or 'in the expected form'}")
            return core
        cleaned = core.strip() if strip else core
        if not cleaned.strip():
            if required:
                raise _error("missing", "is required")
            return None
        return cleaned

    schema: dict[str, Any] = {"type": "string", "maxLength": max_len}
    if required:
        schema["minLength"] = 1
    if shape is not None:
        schema["pattern"] = pattern if required else f"^(?:{pattern.strip('^$')})?$"
    else:
        schema["pattern"] = PLAIN_NONBLANK if required else PLAIN
    if what:
        schema["description"] = what
    if example is not None:
        schema["examples"] = [example]
    if not required or nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return Annotated[str | None, BeforeValidator(check), WithJsonSchema(schema)]


def choice(*values: str, required: bool = False, what: str = "") -> Any:
    """One of ``values``, exactly as written (``what`` names them in the refusal)."""

    def check(value: Any) -> Any:
        if value is None or value == "":
            if required:
                raise _error("missing", "is required")
            return None
        if not isinstance(value, str):
            raise _error("string_type", "must be a string")
        if value not in values:
            raise _error("choice", f"{value!r} is not {what}" if what else f"{value!r} is not one of {', '.join(values)}")
        return value

    schema: dict[str, Any] = {"type": "string", "enum": list(values)}
    if not required:
        schema = {"anyOf": [schema, {"type": "null"}, {"const": ""}]}
    return Annotated[str | None, BeforeValidator(check), WithJsonSchema(schema)]


def date(*, required: bool = False, with_time: bool = False) -> Any:
    """A real calendar date (YYYY-MM-DD); ``with_time`` also takes YYYY-MM-DDTHH:MM."""
    pattern = f"^{DATE}(?:T{TIME})?$" if with_time else f"^{DATE}$"
    what = "a real date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)" if with_time else "a real date (YYYY-MM-DD)"
    field = text(16 if with_time else 10, required=required, pattern=pattern, what=what,
                 example="2024-03-01T09:30" if with_time else "2024-03-01")
    return field


def flag() -> Any:
    """true or false, and nothing that merely looks like it."""

    def check(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, bool):
            raise _error("bool_type", "must be true or false")
        return value

    schema = {"anyOf": [{"type": "boolean"}, {"type": "null"}]}
    return Annotated[bool | None, BeforeValidator(check), WithJsonSchema(schema)]


def integer(*, required: bool = False, minimum: int = 0, maximum: int = MAX_ID) -> Any:
    """A JSON integer in range (a string of digits or true is not one)."""

    def check(value: Any) -> Any:
        if value is None:
            if required:
                raise _error("missing", "is required")
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # JSON Schema's integer includes 1.0
        if isinstance(value, bool) or not isinstance(value, int):
            raise _error("int_type", "must be an integer")
        if not minimum <= value <= maximum:
            raise _error("range", f"must be between {minimum} and {maximum}")
        return value

    schema: dict[str, Any] = {"type": "integer", "minimum": minimum, "maximum": maximum}
    if not required:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return Annotated[int | None, BeforeValidator(check), WithJsonSchema(schema)]


# -- the common field types ------------------------------------------------------------------

Name = text(100, required=True, example="Ana")
OptionalName = text(100)
Sex = choice(*SEXES)
State = choice(*US_STATES, what="a US state code (upper case)")
Zip = text(10, pattern=r"^[0-9]{5}(?:-[0-9]{4})?$", what="a ZIP code (12345 or 12345-6789)", example="78701")
Ssn = text(11, pattern=r"^[0-9]{3}-?[0-9]{2}-?[0-9]{4}$", what="an SSN (123-45-6789)", example="123-45-6789")
Phone = text(25, pattern=r"^[0-9()+.\- x]{7,25}$", what="a phone number", example="512-555-0142")
Email = text(100, example="ana@example.com")
Date = date()
RequiredDate = date(required=True)


def _query_id(value: Any) -> Any:
    """A query parameter's id: ASCII digits only (``1_0``, `` 1`` or ``+1`` are not ids)."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,19}", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
        raise _error("id", f"must be a whole number between 0 and {MAX_ID}")
    return value


# A record's id in a query string (?patient_id=1), as an int.
QueryId = Annotated[int | None, BeforeValidator(_query_id),
                    WithJsonSchema({"anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_ID, "example": 1},
                                              {"type": "null"}]})]


def _query_ids(value: Any) -> Any:
    """Ids in a query string, comma-separated (``?patient_ids=3,8``), each as ``patient_id`` takes one."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 20_000 or not re.fullmatch(r"[0-9]{1,19}(,[0-9]{1,19})*", value):
        raise _error("ids", "must be ids (whole numbers) separated by commas, such as 3,8")
    return [_query_id(part) for part in value.split(",")]


QueryIds = Annotated[list[int] | None, BeforeValidator(_query_ids),
                     WithJsonSchema({"type": "string", "pattern": r"^([0-9]{1,19}(,[0-9]{1,19})*)?$",
                                     "example": "3,8"})]


def ssn_digits(value: str | None) -> str | None:
    """An SSN in the one form the mocks store: 123-45-6789."""
    if not value:
        return value
    digits = re.sub(r"[^0-9]", "", value)
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"


def as_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class Body(BaseModel):
    """A request body: unknown fields are refused, each by name."""

    model_config = ConfigDict(extra="forbid")


class Query(BaseModel):
    """Query parameters: unknown ones are ignored, as web APIs do."""

    model_config = ConfigDict(extra="ignore")

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # flask-openapi3 asks for the query model's JSON Schema on every request to read the query
        # string; pydantic builds it anew each time: 47% of a query route's time (profiled with
        # bench/bench_validation.py). A model's schema never changes, so it is built once.
        key = (cls, args, tuple(sorted(kwargs.items())))
        if key not in _QUERY_SCHEMAS:
            _QUERY_SCHEMAS[key] = super().model_json_schema(*args, **kwargs)
        return _QUERY_SCHEMAS[key]


_QUERY_SCHEMAS: dict[Any, dict[str, Any]] = {}


class Record(BaseModel):
    """A response object: the declared fields are promised; a system may add its own."""

    model_config = ConfigDict(extra="allow")


class ProblemOut(BaseModel):
    field: str = Field(description="the field, parameter or part of the request at fault")
    problem: str = Field(description="what is wrong with it")


class Error(BaseModel):
    """Every refusal: the message, the status, and each problem named at once."""

    errors: str = Field(examples=["invalid prospect"])
    status_code: int = Field(examples=[422])
    problems: list[ProblemOut] = Field(default_factory=list)


# -- pydantic's findings as the project's problems ---------------------------------------------

_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this resource",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "list_type": "must be a list",
    "dict_type": "must be a JSON object",
    "model_type": "must be a JSON object",
    "model_attributes_type": "must be a JSON object",
}


def problems_of(error: ValidationError, strip_prefix: tuple[str, ...] = ()) -> list[Problem]:
    """One Problem per finding, named by its dotted path (``document.data.`` left off)."""
    found = []
    for item in error.errors(include_url=False):
        loc = [str(part) for part in item["loc"]]
        for prefix in strip_prefix:
            parts = prefix.split(".")
            if loc[: len(parts)] == parts and len(loc) > len(parts):
                loc = loc[len(parts):]
        name = ".".join(loc) or "body"
        kind = item["type"]
        message = _MESSAGES.get(kind)
        if name == "body" and kind in ("model_type", "model_attributes_type", "dict_type"):
            message = "a JSON object is required"
        found.append(Problem(name, message or item["msg"]))
    return found
