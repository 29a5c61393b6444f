"""The mock RCM's app factory."""

from __future__ import annotations

from flask_openapi3 import OpenAPI

from ..common.api import new_app
from ..common.base import SystemContext
from .billing import billing
from .eligibility import eligibility
from .insurance import insurances, payers
from .patients import patients
from .review import reviews
from .windows import window
from .work_center import work_center


def create_app(context: SystemContext) -> OpenAPI:
    return new_app(
        context,
        title="Mock Kipu RCM",
        description="Patients, profiles and treatment episodes of the revenue-cycle system. Patient data arrives "
                    "as HL7 v2.5.1 ADT over MLLP or POST /rcm/hl7, prospects as a JSON webhook from the CRM.",
        apis=(patients, payers, insurances, eligibility, reviews, window, billing, work_center),
    )
