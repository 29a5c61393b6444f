"""Field checks shared by the mocks: each returns Problems, so one response names every issue."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from kipu_harness.events import Problem

from .base import ApiError

SEXES = ("Male", "Female", "Unknown")
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split()
)
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_SSN = re.compile(r"^\d{3}-?\d{2}-?\d{4}$")
_PHONE = re.compile(r"^[0-9()+.\- x]{7,25}$")


class Checker:
    """Collects problems for one request; ``done()`` raises a 422 naming all of them."""

    def __init__(self, body: dict[str, Any]):
        self.body = body
        self.problems: list[Problem] = []

    def problem(self, field: str, text: str) -> None:
        self.problems.append(Problem(field, text))

    def text(self, field: str, *, required: bool = False, max_len: int = 100) -> str | None:
        value = self.body.get(field)
        if value is None or value == "":
            if required:
                self.problem(field, "is required")
            return None if value is None else ""
        if not isinstance(value, str):
            self.problem(field, "must be a string")
            return None
        if len(value) > max_len:
            self.problem(field, f"must be at most {max_len} characters")
        return value.strip()

    def date(self, field: str, *, required: bool = False, not_future_of: dt.date | None = None) -> dt.date | None:
        value = self.text(field, required=required, max_len=10)
        if not value:
            return None
        try:
            parsed = dt.date.fromisoformat(value)
        except ValueError:
            self.problem(field, f"{value!r} is not a real date (expected YYYY-MM-DD)")
            return None
        if not_future_of and parsed > not_future_of:
            self.problem(field, f"{value} is in the future")
        return parsed

    def date_time(self, field: str, *, required: bool = False) -> str | None:
        """A date, or a date and time to the minute: what the EMR holds for admission/discharge."""
        value = self.text(field, required=required, max_len=19)
        if not value:
            return None
        try:
            if len(value) == 10:
                dt.date.fromisoformat(value)
                return value
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            self.problem(field, f"{value!r} is not a real date (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM)")
            return None
        return parsed.strftime("%Y-%m-%dT%H:%M")

    def choice(self, field: str, choices: tuple[str, ...], *, required: bool = False) -> str | None:
        value = self.text(field, required=required)
        if value and value not in choices:
            self.problem(field, f"{value!r} is not one of {', '.join(choices)}")
            return None
        return value

    def pattern(self, field: str, regex: re.Pattern[str], what: str, *, required: bool = False) -> str | None:
        value = self.text(field, required=required)
        if value and not regex.match(value):
            self.problem(field, f"{value!r} is not {what}")
            return None
        return value

    def state(self, field: str) -> str | None:
        value = self.text(field, max_len=2)
        if value and value.upper() not in US_STATES:
            self.problem(field, f"{value!r} is not a US state code")
            return None
        return value.upper() if value else value

    def zip(self, field: str) -> str | None:
        return self.pattern(field, _ZIP, "a ZIP code (12345 or 12345-6789)")

    def ssn(self, field: str) -> str | None:
        value = self.pattern(field, _SSN, "an SSN (123-45-6789)")
        if value:
            digits = re.sub(r"\D", "", value)
            return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}"
        return value

    def phone(self, field: str) -> str | None:
        return self.pattern(field, _PHONE, "a phone number")

    def unknown(self, allowed: set[str]) -> None:
        for key in sorted(set(self.body) - allowed):
            self.problem(key, "is not a field of this resource")

    def done(self, message: str = "invalid request") -> None:
        if self.problems:
            raise ApiError(422, message, self.problems)
