"""IntegrationSettings: the [integration] table of a profile, its defaults and its validation."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from kipu_harness.settings import REQUIRED_DEMOGRAPHICS, IntegrationSettings

AMBIGUITIES = Path(__file__).resolve().parent.parent / "docs" / "ambiguities.md"


def test_known_keys_are_accepted_and_used():
    settings = IntegrationSettings.from_mapping({
        "diagnosis_order": "added",
        "max_diagnoses": 12,
        "default_time": "08:30",
        "resend_after_discharge": "reopen",
        "required_demographics": ["first_name", "last_name"],
    })
    assert settings.diagnosis_order == "added"
    assert settings.max_diagnoses == 12
    assert settings.default_time == "08:30"
    assert settings.resend_after_discharge == "reopen"
    # a TOML array arrives as a list; the frozen settings keep a tuple
    assert settings.required_demographics == ("first_name", "last_name")


def test_empty_mapping_gives_the_defaults():
    assert IntegrationSettings.from_mapping({}) == IntegrationSettings()


def test_from_mapping_does_not_change_its_argument():
    values = {"required_demographics": ["first_name"]}
    IntegrationSettings.from_mapping(values)
    assert values == {"required_demographics": ["first_name"]}


def test_unknown_key_is_refused_by_name():
    with pytest.raises(ValueError, match="diagnosis_ordr"):
        IntegrationSettings.from_mapping({"diagnosis_ordr": "added"})


def test_every_unknown_key_is_named():
    with pytest.raises(ValueError) as excinfo:
        IntegrationSettings.from_mapping({"colour": "red", "default_time": "00:00", "shape": "round"})
    message = str(excinfo.value)
    assert "colour" in message and "shape" in message
    assert "default_time" not in message


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        ("diagnosis_order", ("principal-then-added", "added")),
        ("resend_after_discharge", ("keep-episode", "reopen")),
    ],
)
def test_bad_choice_is_refused_listing_the_allowed_values(key, allowed):
    with pytest.raises(ValueError) as excinfo:
        IntegrationSettings.from_mapping({key: "sometimes"})
    message = str(excinfo.value)
    assert key in message
    assert "sometimes" in message
    for value in allowed:
        assert value in message


@pytest.mark.parametrize("value", ["added", "principal-then-added"])
def test_each_diagnosis_order_choice_is_accepted(value):
    assert IntegrationSettings.from_mapping({"diagnosis_order": value}).diagnosis_order == value


@pytest.mark.parametrize("value", ["keep-episode", "reopen"])
def test_each_resend_choice_is_accepted(value):
    assert IntegrationSettings.from_mapping({"resend_after_discharge": value}).resend_after_discharge == value


@pytest.mark.parametrize("value", ["25:00", "noon", "12:60", "", "12", "12:00:00"])
def test_bad_default_time_is_refused(value):
    with pytest.raises(ValueError, match="default_time") as excinfo:
        IntegrationSettings.from_mapping({"default_time": value})
    assert "HH:MM" in str(excinfo.value)


@pytest.mark.parametrize("value", ["00:00", "23:59", "07:05"])
def test_good_default_time_is_accepted(value):
    assert IntegrationSettings.from_mapping({"default_time": value}).default_time == value


def test_defaults_are_the_documented_ones():
    settings = IntegrationSettings()
    assert settings.diagnosis_order == "principal-then-added"  # AMB-02
    assert settings.default_time == "00:00"  # AMB-05
    assert settings.resend_after_discharge == "keep-episode"  # AMB-08
    assert settings.max_diagnoses == 18  # PAT-16
    assert settings.required_demographics == REQUIRED_DEMOGRAPHICS


def test_defaults_match_the_toml_block_in_the_ambiguity_register():
    """The ```toml block in docs/ambiguities.md states the defaults; the code must agree."""
    text = AMBIGUITIES.read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", text, flags=re.S)
    assert blocks, "docs/ambiguities.md has no ```toml block of defaults"
    documented = tomllib.loads(blocks[0])["integration"]
    assert {"diagnosis_order", "default_time", "resend_after_discharge"} <= set(documented)
    defaults = IntegrationSettings()
    for key, value in documented.items():
        actual = getattr(defaults, key)
        assert (list(actual) if isinstance(actual, tuple) else actual) == value, key
    # the documented block is itself a valid [integration] table
    assert IntegrationSettings.from_mapping(documented) == defaults
