"""HL7 into the RCM over HTTP: every message that cannot be applied gets an AR/AE ACK with its
reason and a 4xx (422 when the body is not the documented shape, 409 when a message of that shape
is refused), never a 500, and nothing is stored."""

from __future__ import annotations

import datetime as dt

import pytest

from kipu_harness.wire import hl7v2
from mockkit import state


def _adt(trigger: str = "A04", first_name: str = "Ann", patient_id: str = "41") -> str:
    visit = (dt.datetime(2024, 1, 1, 9), dt.datetime(2024, 1, 3, 9)) if trigger == "A03" else (None, None)
    patient = hl7v2.AdtPatient(
        patient_id=patient_id, mr_number=None, last_name="Lee", first_name=first_name, middle_name="",
        dob=dt.date(1980, 1, 2), sex="F", address_street="", address_city="", address_state="", address_zip="",
        phone="", ssn="", admit_at=visit[0], discharge_at=visit[1])
    return hl7v2.build_adt(trigger, patient, control_id=f"C-{trigger}-{patient_id}", sent_at=dt.datetime(2024, 3, 1, 10))


CASES = {
    "not UTF-8": (_adt(first_name="Ann\u00e9").encode("latin-1"), 422, "AR", "UTF-8"),
    "no PID": (b"MSH|^~\\&|EMR||RCM||20240301||ADT^A04|C1|P|2.5.1", 422, "AR", ""),
    "control character in a name": (_adt(first_name="A\x01nn").encode(), 409, "AR", "control characters"),
    "bad date": (_adt().replace("19800102", "1980AB02").encode(), 409, "AR", "PID-7"),
    "discharge of an unknown patient": (_adt("A03", patient_id="99").encode(), 409, "AE", "unknown patient"),
}


@pytest.mark.parametrize("case", CASES)
def test_a_message_the_rcm_cannot_apply_is_a_4xx_ack_naming_why(mocks, case):
    data, status, code, reason = CASES[case]
    before = state(mocks.suite)
    response = mocks.rcm.post("/rcm/hl7", data=data, content_type="text/plain")
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    got_code, got_reason = hl7v2.ack_code(response.get_data(as_text=True))
    assert got_code == code and reason in got_reason
    assert state(mocks.suite)["rcm"]["patient"] == before["rcm"]["patient"]


def test_the_document_states_the_shape_of_a_message(mocks):
    body = mocks.rcm.get("/openapi.json").get_json()["paths"]["/rcm/hl7"]["post"]["requestBody"]
    assert body["required"] is True
    assert "PID" in body["content"]["text/plain"]["schema"]["pattern"]
    assert mocks.rcm.post("/rcm/hl7", data=_adt(), content_type="text/plain").status_code == 200
