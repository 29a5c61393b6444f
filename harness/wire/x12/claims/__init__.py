"""X12 claims: the RCM's 837P/837I batch, pyx12 validation with its 999, and the 277CA answer.

The mock RCM turns a batch of claims into one 837 (:func:`build_837`): 005010X222A1 for
professional claims or 005010X223A2 for institutional ones. :func:`validate_837` runs pyx12
over it and returns pyx12's messages and the 999 (005010X231A1). The mock clearinghouse reads
the claims back (:func:`parse_837`) and answers with a 005010X214 277CA (:func:`build_277ca`),
which the RCM reads as claim id -> accepted / rejected (:func:`parse_277ca`).

Modules: :mod:`.model` (dataclasses, limits), :mod:`.checks` (what pyx12 cannot see),
:mod:`.build837`, :mod:`.read837`, :mod:`.ack999` (pyx12 and the 999), :mod:`.ack277`
(277CA). This package exposes their public names, so
``from kipu_harness.wire.x12 import claims`` is the whole API.
"""

from ..envelope import Envelope, X12Error
from .ack277 import build_277ca, parse_277ca
from .ack999 import validate_277ca, validate_837, validate_999
from .build837 import build_837
from .model import (
    MAX_CLAIMS_PER_837,
    MAX_DIAGNOSES,
    VERSION_277CA,
    VERSION_999,
    Address,
    Claim,
    ClaimError,
    Person,
    Provider,
    ServiceLine,
    Subscriber,
    Validation,
)
from .read837 import parse_837

__all__ = [
    "Address",
    "Claim",
    "ClaimError",
    "Envelope",
    "MAX_CLAIMS_PER_837",
    "MAX_DIAGNOSES",
    "Person",
    "Provider",
    "ServiceLine",
    "Subscriber",
    "VERSION_277CA",
    "VERSION_999",
    "Validation",
    "X12Error",
    "build_277ca",
    "build_837",
    "parse_277ca",
    "parse_837",
    "validate_277ca",
    "validate_837",
    "validate_999",
]
