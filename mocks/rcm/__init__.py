"""Mock Kipu RCM: patients and treatment episodes, payers, insurance sets, eligibility, U/R,
the Manage Insurance/Review windows, charges, the Attendance Calendar and the Work Center."""

from .app import create_app

__all__ = ["create_app"]
