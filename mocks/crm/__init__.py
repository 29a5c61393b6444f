"""Mock Kipu CRM: prospects, their insurance, and treatment opportunities pushed to the EMR."""

from .app import create_app

__all__ = ["create_app"]
