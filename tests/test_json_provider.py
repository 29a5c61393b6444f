"""The mocks' JSON answers (mocks/common/json_provider.py): orjson writes them, and they read as
what Flask's own provider would have written."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import json
import uuid

import pytest
from flask import Flask, jsonify
from flask.json.provider import DefaultJSONProvider

from kipu_harness.mocks.common.json_provider import OrjsonProvider


@dataclasses.dataclass
class Point:
    x: int
    when: dt.date


VALUES = {
    "text": "Zoë Núñez 李",
    "order": {"b": 1, "a": 2, "c": [3, {"z": 0, "y": None}]},
    "numbers": [0, -1, 2**62, 1.5, 1e16, True, False],
    "when": dt.datetime(2026, 3, 1, 12, 30, tzinfo=dt.timezone.utc),
    "day": dt.date(2026, 3, 1),
    "id": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "money": decimal.Decimal("12.30"),
    "point": Point(1, dt.date(2026, 1, 2)),
    "keys": {1: "one", 2.5: "two and a half"},
    "big": 2**70,  # past orjson's 64 bits: Flask's provider writes it
}


@pytest.fixture
def apps():
    ours, flasks = Flask("ours"), Flask("flasks")
    ours.json = OrjsonProvider(ours)
    flasks.json.sort_keys = False
    return ours, flasks


@pytest.mark.parametrize("name", sorted(VALUES))
def test_an_answer_reads_as_flasks_own(apps, name):
    ours, flasks = apps
    body = {name: VALUES[name]}
    with ours.app_context():
        mine = jsonify(body)
        text = ours.json.dumps(body)
    with flasks.app_context():
        theirs = jsonify(body)
    assert mine.mimetype == theirs.mimetype == "application/json"
    assert mine.get_data().endswith(b"\n")
    assert json.loads(mine.get_data()) == json.loads(theirs.get_data()) == json.loads(text)
    if isinstance(VALUES[name], dict):  # keys in insertion order
        assert list(json.loads(mine.get_data())[name]) == list(json.loads(theirs.get_data())[name])


def test_compact_and_utf8(apps):
    ours, _ = apps
    with ours.app_context():
        data = jsonify({"a": [1, 2], "name": "Zoë"}).get_data()
    assert data == '{"a":[1,2],"name":"Zoë"}\n'.encode()


def test_a_callers_own_options_and_debug_answers_are_flasks(apps):
    ours, flasks = apps
    with ours.app_context():
        assert ours.json.dumps({"b": 1, "a": 2}, sort_keys=True) == DefaultJSONProvider(flasks).dumps(
            {"b": 1, "a": 2}, sort_keys=True)
    ours.debug = True
    with ours.app_context():
        assert b"\n  " in jsonify({"a": 1}).get_data()  # indented, as Flask does in debug


def test_the_mocks_answer_with_it(tmp_path):
    from kipu_harness.mocks import MockSuite
    from kipu_harness.plugin_manager import make_plugin_manager

    suite = MockSuite(make_plugin_manager())
    try:
        assert all(isinstance(app.json, OrjsonProvider) for app in suite.apps.values())
        reply = suite.apps["crm"].test_client().get("/_mock/health")
        assert reply.status_code == 200 and reply.get_json() == {"system": "crm", "status": "ok"}
    finally:
        suite.close()
