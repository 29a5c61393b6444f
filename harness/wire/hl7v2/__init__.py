"""HL7 v2.5.1 ADT messages from the EMR to the RCM, and MLLP to carry them.

The EMR sends patient demographics and diagnoses to the RCM as ADT messages: A04 (register /
pre-admit), A01 (admit), A08 (update) and A03 (discharge). An :class:`AdtPatient` becomes ER7
text (:func:`build_adt`), is read back (:func:`parse_adt`), acknowledged (:func:`make_ack`,
:func:`ack_code`) and moved over a real MLLP socket (:class:`MllpServer`, :func:`send_mllp`).

Modules: :mod:`.message` (dataclasses, codes, field map), :mod:`.build`, :mod:`.parse`
(reading), :mod:`.validate` (hl7apy's structure validation, remembered per message shape),
:mod:`.ack`, :mod:`.mllp`. This package exposes their public names,
so ``from kipu_harness.wire import hl7v2`` is the whole API. (The package is ``hl7v2``, not
``hl7``, so it never shadows python-hl7, which it uses.)

Libraries: hl7apy checks every message built or received against the HL7 2.5.1 structures;
python-hl7 reads fields and does the MLLP framing. Messages are written as text in their fixed
layouts (hl7apy's object tree cost about 10 ms a message).
"""

from .ack import ack_code, make_ack
from .build import build_adt
from .message import HL7_VERSION, TRIGGERS, AdtDiagnosis, AdtMessage, AdtPatient, HL7Error
from .mllp import MllpLink, MllpServer, send_mllp
from .parse import parse_adt

__all__ = [
    "AdtDiagnosis",
    "AdtMessage",
    "AdtPatient",
    "HL7Error",
    "HL7_VERSION",
    "MllpLink",
    "MllpServer",
    "TRIGGERS",
    "ack_code",
    "build_adt",
    "make_ack",
    "parse_adt",
    "send_mllp",
]
