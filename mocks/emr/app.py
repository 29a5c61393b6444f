"""The mock EMR's app factory, and the payers the RCM owns (SYS-04): shown here, never written."""

from __future__ import annotations

from flask_openapi3 import OpenAPI
from pydantic import BaseModel, Field

from kipu_harness.events import Problem

from ..common.api import new_app
from ..common.base import ApiError, SystemContext, ctx
from ..common.routes import answers, blueprint, path_model, refusal
from ..common.schemas import Record
from . import billing, census_views, diagnoses, directory, evaluations, group_sessions, mirror, patients
from .apiauth import EmrApiAuth, protect
from .kipu import page
from .schemas import Paged, Pagination

owned_elsewhere = blueprint("emr_payors", __name__, "/api", "payors",
                            "Payers are the RCM's (SYS-04): the EMR shows them and refuses to write them (403)")


def create_app(context: SystemContext) -> OpenAPI:
    app = new_app(
        context,
        title="Mock Kipu EMR (API v3 shape)",
        description="Patients as in Kipu's public API v3 (paths under /api, `document` bodies, paged envelopes "
                    "with string pagination), plus the EMR user actions that drive the RCM integration.",
        apis=(patients.patients, census_views.views, diagnoses.diagnoses, patients.crm_inbound, mirror.webhooks,
              mirror.mirror, mirror.care_levels_api, billing.billing, directory.directory,
              group_sessions.group_sessions, evaluations.evaluations, owned_elsewhere),
    )
    protect(app, context.api_auth or EmrApiAuth())
    return app


class Payor(Record):
    id: int = Field(description="the payer's id in the RCM")
    name: str
    code: str | None = Field(None, description="the payer's X12 ID (the RCM's payer_id)", examples=["60054"])
    phone: str | None = None
    claim_formats: list[str] = Field(examples=[["837P", "837I"]])
    updated_at: str = Field(description="when the RCM last sent its payer list")


class PayorsPage(BaseModel):
    pagination: Pagination
    payors: list[Payor]


@owned_elsewhere.get("/settings/payors", responses=answers(200, PayorsPage))
def payors(query: Paged):
    """The RCM's payers, read-only (SYS-04): as the RCM last sent its list (AMB-10)"""
    with ctx().store.read() as tx:
        return page(tx.all("payor"), "payors", query)


def _payors() -> None:
    raise ApiError(403, "payers are managed only in the RCM",
                   [Problem("payor", "cannot be created or edited in the EMR; manage payers in the RCM")])


_PAYORS = "Refused with 403: payers are managed only in the RCM (SYS-04)"
refusal(owned_elsewhere, ("post",), "/settings/payors", None, _PAYORS, _payors)
refusal(owned_elsewhere, ("patch", "put", "delete"), "/settings/payors/<id:payor_id>", path_model("payor_id"),
        _PAYORS, _payors)
