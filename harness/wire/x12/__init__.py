"""X12 005010 health care transactions.

- :mod:`.envelope`: separators, free text, segments, ISA/GS/ST framing and control numbers.
- :mod:`.reader`: reading an interchange back: separators from the ISA, segments, dates.
- :mod:`.npi`: the NPI check digit.
- :mod:`.eligibility`: 270 inquiry and 271 answer (005010X279A1): build, parse, structure.
- :mod:`.claims`: 837P/837I (005010X222A1 / X223A2), pyx12 validation with its 999
  (005010X231A1), and the 277CA claim acknowledgement (005010X214).
"""
