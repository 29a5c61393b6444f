"""The mock CRM's app factory."""

from __future__ import annotations

from flask_openapi3 import OpenAPI

from ..common.api import new_app
from ..common.base import SystemContext
from .prospects import prospects


def create_app(context: SystemContext) -> OpenAPI:
    return new_app(
        context,
        title="Mock Kipu CRM",
        description="Prospects before admission, their insurance, and treatment opportunities pushed to the EMR.",
        apis=(prospects,),
    )
