"""The mock payer and clearinghouse's app factory: X12 270/271 eligibility (eligibility.py) and
837 claims answered by 999 and 277CA (clearinghouse.py)."""

from __future__ import annotations

from flask_openapi3 import OpenAPI

from ..common.api import new_app
from ..common.base import SystemContext
from .clearinghouse import clearinghouse
from .eligibility import payer


def create_app(context: SystemContext) -> OpenAPI:
    return new_app(
        context,
        title="Mock payer and clearinghouse",
        description="Answers X12 005010X279A1 270 eligibility inquiries with 271 responses; a member's outcome is "
                    "configured with POST /payer/members, and members not configured are active. As the "
                    "clearinghouse, validates 837P/837I claims with pyx12 and answers with the 999 and a 277CA.",
        apis=(payer, clearinghouse),
    )
