"""Mock Kipu EMR: patients in the shape of Kipu's API v3, diagnoses, mirrored insurance and U/R,
and the billing side (templates, documentation, the Billing Audit Tool)."""

from .app import create_app

__all__ = ["create_app"]
