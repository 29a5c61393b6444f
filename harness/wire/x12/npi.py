"""The NPI check digit, which pyx12 does not check: used by the 270 and 837 builders and by the
RCM when a provider is added."""

from __future__ import annotations

__all__ = ["npi_valid"]


def npi_valid(npi: str) -> bool:
    """10 digits and a Luhn check digit over the number prefixed with 80840 (the card issuer
    prefix of the NPI)."""
    if not isinstance(npi, str) or len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        return False
    total = 0
    for i, digit in enumerate(int(c) for c in reversed("80840" + npi)):
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0
