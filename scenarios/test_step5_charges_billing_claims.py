from pytest_bdd import scenarios

from .paths import FEATURES

scenarios(str(FEATURES / "step5_charges_billing_claims.feature"))
