"""Wire formats the systems speak, as a library the mocks and the plugins both use.

- :mod:`kipu_harness.wire.hl7v2`: HL7 v2.5.1 ADT from the EMR to the RCM: build, parse and
  validate, acknowledge, and carry over MLLP.
- :mod:`kipu_harness.wire.x12`: X12 005010: the envelope every transaction shares, the
  270/271 eligibility exchange, and the 837P/837I claims with their 999 and 277CA answers.

Nothing here imports from the mocks or the plugins.
"""
