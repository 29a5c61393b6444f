"""The Manage Insurance / Manage Review windows: scoped, signed, expiring links from the EMR into
the RCM, and every way a link is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from insurancekit import admit, emr_insurances, emr_reviews, insurances_of, rcm_patient, ready, review, self_insurance
from mockkit import Mocks, new_patient, pin_clock, refused, state


# -- Manage Insurance / Manage Review windows -----------------------------------------------

def open_window(m: Mocks, emr_id: int, scope: str = "insurance") -> dict[str, Any]:
    response = m.emr.post(f"/api/patients/{emr_id}/manage_{scope}")
    assert response.status_code == 200, response.get_json()
    window = response.get_json()["window"]
    assert set(window) == {"path", "token", "expires_at"}
    return window


def test_manage_insurance_returns_a_scoped_expiring_window(mocks):
    a = ready(mocks)
    window = open_window(mocks, a.emr["id"])
    assert window["path"] == f"/rcm/window/{a.emr['id']}/insurance"
    assert window["expires_at"] == "2024-06-01T12:30:00"  # PINNED + window_ttl_minutes
    response = mocks.rcm.get(f"{window['path']}?token={window['token']}")
    assert response.status_code == 200, response.get_json()
    shown = response.get_json()
    assert (shown["patient_id"], shown["episode_id"], shown["insurances"]) == (a.rcm_id, 1, [])
    assert shown["profile"]["first_name"] == "Ann"


def test_insurance_saved_and_checked_through_the_window_reaches_the_emr(mocks):
    a = ready(mocks)
    window = open_window(mocks, a.emr["id"])
    response = mocks.rcm.post(f"{window['path']}/insurances?token={window['token']}", json=self_insurance(a.payer["id"]))
    assert response.status_code == 201, response.get_json()
    iid = response.get_json()["insurance"]["id"]
    assert [r["policy_no"] for r in emr_insurances(mocks, a)] == ["W123"]
    response = mocks.rcm.patch(f"{window['path']}/insurances/{iid}?token={window['token']}",
                               json={"effective_date": "2024-05-01"})
    assert response.status_code == 200, response.get_json()
    assert emr_insurances(mocks, a)[0]["effective_date"] == "2024-05-01"
    response = mocks.rcm.post(f"{window['path']}/insurances/{iid}/eligibility?token={window['token']}")
    assert response.status_code == 200, response.get_json()
    assert insurances_of(rcm_patient(mocks, a.rcm_id))[0]["eligibility"]["status"] == "active"


def test_a_ur_saved_through_the_review_window_reaches_the_emr(mocks):
    a = ready(mocks)
    window = open_window(mocks, a.emr["id"], "review")
    assert window["path"] == f"/rcm/window/{a.emr['id']}/review"
    response = mocks.rcm.post(f"{window['path']}/utilization_reviews?token={window['token']}",
                              json=review(a.payer["id"]))
    assert response.status_code == 201, response.get_json()
    assert [r["authorization_number"] for r in emr_reviews(mocks, a)] == ["AUTH-1"]
    shown = mocks.rcm.get(f"{window['path']}?token={window['token']}").get_json()
    assert [u["service"] for u in shown["utilization_reviews"]] == ["Sober Living"]


def _altered(token: str, where: str) -> str:
    body, signature = token.split(".")
    if where == "signature":
        return f"{body}.{signature[:-2]}{'AB' if signature[-2:] != 'AB' else 'CD'}"
    return f"{body[:-2]}{'AB' if body[-2:] != 'AB' else 'CD'}.{signature}"


REFUSED_WINDOWS = ["missing", "empty", "altered signature", "altered body", "no signature", "review token",
                   "another patient", "expired"]


def test_a_refused_window_call_is_a_403_naming_the_token_and_writes_nothing(mocks, subtests):
    a = ready(mocks)
    other = admit(mocks, first_name="Cy", ssn="987-65-4320")
    window = open_window(mocks, a.emr["id"])
    review_token = open_window(mocks, a.emr["id"], "review")["token"]
    # The controls: the link works for its patient and scope until it expires.
    assert mocks.rcm.get(f"{window['path']}?token={window['token']}").status_code == 200
    assert mocks.rcm.get(f"/rcm/window/{a.emr['id']}/review?token={review_token}").status_code == 200
    before = state(mocks.suite)
    for case in REFUSED_WINDOWS:  # "expired" last: it moves the clock
        path, query = window["path"], f"?token={window['token']}"
        reason = "not a valid RCM window link"
        if case == "missing":
            query = ""
        elif case == "empty":
            query = "?token="
        elif case.startswith("altered"):
            query = f"?token={_altered(window['token'], case.split()[1])}"
        elif case == "no signature":
            query = f"?token={window['token'].split('.')[0]}"
        elif case == "review token":
            query = f"?token={review_token}"
            reason = "Manage Review, not Manage Insurance"
        elif case == "another patient":
            path = f"/rcm/window/{other['id']}/insurance"
            reason = "another patient"
        elif case == "expired":
            pin_clock(mocks, window["expires_at"], system="rcm")  # the suite shares one clock
            reason = "expired at 2024-06-01T12:30:00"
        with subtests.test(case):
            for response in (mocks.rcm.get(f"{path}{query}"),
                             mocks.rcm.post(f"{path}/insurances{query}", json=self_insurance(a.payer["id"])),
                             mocks.rcm.post(f"{path}/insurances/1/eligibility{query}")):
                named = refused(response, 403, {"token"})
                assert reason in named["token"], named
            assert state(mocks.suite) == before


def test_a_window_is_good_until_the_second_it_expires(mocks):
    a = ready(mocks)
    window = open_window(mocks, a.emr["id"])
    expires = dt.datetime.fromisoformat(window["expires_at"])
    pin_clock(mocks, (expires - dt.timedelta(seconds=1)).isoformat(), system="rcm")
    assert mocks.rcm.get(f"{window['path']}?token={window['token']}").status_code == 200
    pin_clock(mocks, expires.isoformat())
    refused(mocks.rcm.get(f"{window['path']}?token={window['token']}"), 403, {"token"})
    # Opened again from the EMR, the link works again.
    fresh = open_window(mocks, a.emr["id"])
    assert mocks.rcm.get(f"{fresh['path']}?token={fresh['token']}").status_code == 200


def test_a_non_ascii_token_is_a_403_not_a_500(mocks, subtests):
    """BUG: windows.verify (windows.py:41) hands a non-ASCII signature to hmac.compare_digest,
    which raises TypeError: the RCM answers 500 instead of refusing the link."""
    a = ready(mocks)
    before = state(mocks.suite)
    for token in ("%C3%A9", "x.%C3%A9"):  # non-ASCII body (no signature), non-ASCII signature
        with subtests.test(token):
            refused(mocks.rcm.get(f"/rcm/window/{a.emr['id']}/insurance?token={token}"), 403, {"token"})
            assert state(mocks.suite) == before


@pytest.mark.parametrize("how", ["prospective only", "nothing reached the rcm"])
def test_a_window_for_a_patient_not_admitted_in_the_rcm_is_a_404(mocks, how):
    pin_clock(mocks)
    if how == "nothing reached the rcm":
        mocks.suite.contexts["emr"].links.down.add("rcm")
    patient = new_patient(mocks, first_name="Dee", last_name="Fox")
    window = open_window(mocks, patient["id"])
    found = mocks.rcm.get(f"/rcm/patients?emr_patient_id={patient['id']}").get_json()["patients"]
    assert len(found) == (1 if how == "prospective only" else 0)
    named = refused(mocks.rcm.get(f"{window['path']}?token={window['token']}"), 404, {"emr_patient_id"})
    assert "RCM" in named["emr_patient_id"]
