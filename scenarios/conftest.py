"""Fixtures every scenario starts with, and the step definitions (one module per system)."""

from __future__ import annotations

import pytest

from .steps.charge_steps import *  # noqa: F401,F403
from .steps.claim_steps import *  # noqa: F401,F403
from .steps.crm_steps import *  # noqa: F401,F403  (step definitions are fixtures)
from .steps.emr_steps import *  # noqa: F401,F403
from .steps.fault_steps import *  # noqa: F401,F403
from .steps.insurance_steps import *  # noqa: F401,F403
from .steps.ownership_steps import *  # noqa: F401,F403
from .steps.rcm_steps import *  # noqa: F401,F403
from .steps.review_steps import *  # noqa: F401,F403
from .steps.shared_steps import *  # noqa: F401,F403
from kipu_harness.synthetic import faker_for

from .own import Own, new_marker
from .step_lookup import install as _remember_step_lookups

_remember_step_lookups()


@pytest.fixture
def prospect():
    """The scenario's CRM prospect; a Given or When step that makes one replaces it."""
    return None


@pytest.fixture
def emr_patient():
    """The scenario's EMR patient; steps that change it hand on the new state."""
    return None


@pytest.fixture
def private_patient():
    """A second, uninsured EMR patient, for private pay."""
    return None


@pytest.fixture
def window():
    """The Manage Insurance / Manage Review link the scenario opened last."""
    return None


@pytest.fixture
def refusals() -> list:
    """Refusals met by When steps, for the Then steps that expect one."""
    return []


@pytest.fixture
def emr_replies() -> list:
    """What the EMR said about the RCM after each user action (sent, or what was missing)."""
    return []


@pytest.fixture
def fake(request: pytest.FixtureRequest):
    """Faker seeded by the scenario's name: the same scenario always gets the same people."""
    return faker_for(request.node.name)


@pytest.fixture
def marker() -> str:
    """Unique to this scenario and this run (a few base32 characters): see scenarios/own.py."""
    return new_marker()


@pytest.fixture
def own(marker) -> Own:
    """The scenario's own names for what it creates in shared lists ("Aetna" -> "Aetna <marker>")."""
    return Own(marker)
