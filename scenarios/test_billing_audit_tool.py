from pytest_bdd import scenarios

from .paths import FEATURES

scenarios(str(FEATURES / "billing_audit_tool.feature"))
