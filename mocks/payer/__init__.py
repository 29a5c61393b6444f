"""Mock payer and clearinghouse: X12 270/271 eligibility, and 837 claims answered by 999 and 277CA."""

from .app import create_app

__all__ = ["create_app"]
