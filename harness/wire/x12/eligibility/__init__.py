"""X12 005010X279A1 eligibility: the RCM's 270 inquiry and the payer's 271 answer.

The mock RCM turns an insurance set into a 270 (:func:`build_270`); the mock payer reads it
(:func:`parse_270`) and answers with a 271 driven by a configured member outcome
(:func:`build_271`); the RCM reads the 271 (:func:`parse_271`) and stores the result.
:func:`validate_structure` checks the envelope and the loop structure of either.

Modules: :mod:`.model` (dataclasses and codes), :mod:`.build` (270 and 271),
:mod:`.structure` (checks and loops), :mod:`.parse` (270 and 271). This package exposes their
public names, so ``from kipu_harness.wire.x12 import eligibility`` is the whole API.
"""

from ..envelope import Envelope, X12Error
from .build import build_270, build_271
from .model import (
    OUTCOMES,
    SERVICE_TYPES,
    VERSION,
    Benefit,
    EligibilityRequest,
    EligibilityResponse,
    Party,
)
from .parse import parse_270, parse_271
from .structure import validate_structure

__all__ = [
    "Benefit",
    "EligibilityRequest",
    "EligibilityResponse",
    "Envelope",
    "OUTCOMES",
    "Party",
    "SERVICE_TYPES",
    "VERSION",
    "X12Error",
    "build_270",
    "build_271",
    "parse_270",
    "parse_271",
    "validate_structure",
]
