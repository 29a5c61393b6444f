"""The mock CRM, EMR and RCM: Flask app factories, persistence, and the suite that wires them."""

from .suite import SYSTEMS, MockSuite

__all__ = ["MockSuite", "SYSTEMS"]
