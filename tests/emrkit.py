"""What the tests of the mock EMR's Kipu reads share: walking a paged list one record a page, as
kipu-python's callers do (until current_page == total_pages), checking Kipu's string pagination
on every page, and a uuid that names no one."""

from __future__ import annotations

from typing import Any

from mockkit import Mocks

NOBODY = "00000000-0000-4000-8000-000000000000"


def walk(m: Mocks, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
    """Every record of a paged list, fetched with per=1 to the last page; each page's pagination is
    strings that agree with each other and with what came, and the walk equals one page of 100."""
    rows: list[dict[str, Any]] = []
    number = 1
    while True:
        response = m.emr.get(path, query_string={**params, "page": str(number), "per": "1"})
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert set(body) == {"pagination", key}, body
        pagination = body["pagination"]
        assert set(pagination) == {"current_page", "total_pages", "records_per_page", "total_records"}
        assert all(isinstance(v, str) and v.isdigit() for v in pagination.values()), pagination
        total = int(pagination["total_records"])
        assert pagination["current_page"] == str(number) and pagination["records_per_page"] == "1"
        assert pagination["total_pages"] == str(max(1, total)), pagination
        assert len(body[key]) == (1 if total else 0), body
        rows += body[key]
        if number >= int(pagination["total_pages"]):
            break
        number += 1
    assert len(rows) == total
    past = m.emr.get(path, query_string={**params, "page": str(number + 1), "per": "1"}).get_json()
    assert past[key] == [] and past["pagination"]["total_records"] == str(total)
    whole = m.emr.get(path, query_string={**params, "per": "100"}).get_json()
    assert whole[key] == rows and whole["pagination"]["total_pages"] == "1"
    return rows
