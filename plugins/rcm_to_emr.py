"""The reference integration from the RCM to the EMR: insurance (INS-01..15), utilization
reviews (AUTH-01..12) and the payer list (SYS-04), sent whenever they are saved in the RCM, the RCM
being their source of truth.

Each save sends the episode's whole Insurance Set (or all its U/R, or the whole payer list), so the
EMR's mirror becomes exactly what the RCM holds, and an edit made only in the EMR is overwritten
(INS-15).

Each body carries ``sequence``, the RCM's number for that list (per RCM patient for insurances and
for U/R, one count for the payer list), given as it is queued in the RCM's transaction, so the EMR
applies the saves in the order they were made and each once (mocks/emr/ordering.py).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from kipu_harness import hookimpl
from kipu_harness.events import EventContext, SystemEvent

PRIORITY = {"primary": "Primary", "secondary": "Secondary", "tertiary": "Tertiary"}
# AUTH-07: the EMR shows both kinds of authorized as Approved.
EMR_STATUS = {"Authorized": "Approved", "Authorized - Not Required": "Approved"}


PAYER_SAVES = {"payer.created", "payer.edited"}


@hookimpl
def harness_system_event(event: SystemEvent, context: EventContext) -> None:
    if event.system == "rcm" and event.name in PAYER_SAVES:
        _send_payers(context)
        return
    if event.system != "rcm" or not event.record.get("emr_patient_id"):
        return
    episode = next((e for e in event.record["treatment_episodes"] if e["id"] == event.data.get("episode_id")), None)
    if episode is None:
        return
    if event.name == "insurance.saved":
        stream = "insurances"
        body = {"emr_patient_id": event.record["emr_patient_id"],
                "insurances": [emr_insurance(i) for i in episode["intake"]["insurance"]["insurance_set"]["insurances"]]}
    elif event.name == "utilization_review.saved":
        stream = "utilization_reviews"
        body = {"emr_patient_id": event.record["emr_patient_id"],
                "utilization_reviews": [emr_review(r) for r in episode["scheduling_and_utilization"]["utilization_reviews"]]}
    else:
        return
    path = f"/api/integrations/rcm/{stream}"
    body["sequence"] = context.next_sequence(stream, event.record["id"])
    context.enqueue(destination="emr", wire="json", path=path, body=json.dumps(body),
                    key=f"rcm-{event.name}-{event.record['id']}-{uuid.uuid4().hex[:12]}")
    context.response["emr"] = {"sent": True}


def _send_payers(context: EventContext) -> None:
    """SYS-04 (AMB-10): the EMR shows the RCM's payers read-only; every payer save sends it the whole list."""
    body = {"payors": [emr_payor(p) for p in context.tx.all("payer")], "sequence": context.next_sequence("payors", 1)}
    context.enqueue(destination="emr", wire="json", path="/api/integrations/rcm/payors", body=json.dumps(body),
                    key=f"rcm-payers-{uuid.uuid4().hex[:12]}")


def emr_payor(payer: dict[str, Any]) -> dict[str, Any]:
    return {"rcm_payer_id": payer["id"], "name": payer["name"], "payer_id": payer.get("payer_id"),
            "phone": payer.get("phone"), "claim_formats": payer.get("claim_formats") or []}


def emr_insurance(entry: dict[str, Any]) -> dict[str, Any]:
    """One row of the Insurance table per field; subscriber SSN and address are the EMR's own."""
    holder, payer = entry["policy_holder"], entry["payer"]
    return {
        "rcm_insurance_id": entry["id"],
        "insurance_company": payer["name"],                  # INS-03
        "policy_no": holder["insurance_id"],                  # INS-04
        "plan_name": holder["plan_name"],                     # INS-05
        "effective_date": entry["effective_date"],            # INS-06
        "insurance_type": PRIORITY[entry["priority"]],        # INS-07
        "insurance_phone": payer.get("phone"),                # INS-08
        "subscriber_first_name": holder["first_name"],        # INS-09
        "subscriber_last_name": holder["last_name"],
        "subscriber_relationship": holder["relationship"],    # INS-10
        "subscriber_DOB": holder["birthday"],                 # INS-12
        "subscriber_gender": holder["gender"],                # INS-13
    }


def emr_review(review: dict[str, Any]) -> dict[str, Any]:
    """One row of the Authorizations table per field; Managed and Days of Week are the EMR's."""
    return {
        "rcm_review_id": review["id"],
        "start_date": review["start_date"],                   # AUTH-02
        "end_date": review["end_date"],                       # AUTH-03
        "number_of_days": review["units"],                    # AUTH-04
        "authorization_date": review["start_date"],           # AUTH-05
        "authorization_number": review["authorization_number"],  # AUTH-06
        "status": EMR_STATUS.get(review["authorization_status"], review["authorization_status"]),  # AUTH-07
        "authorization_status": review["authorization_status"],  # for the EMR's Managed (AUTH-08)
        "level_of_care": review["service"],                   # AUTH-09
        "next_review": review["um_follow_up_date"],           # AUTH-10
        "insurance": review["payer"]["name"] if review["payer"] else None,  # AUTH-12
    }
