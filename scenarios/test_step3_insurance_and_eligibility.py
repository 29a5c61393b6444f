from pytest_bdd import scenarios

from .paths import FEATURES

scenarios(str(FEATURES / "step3_insurance_and_eligibility.feature"))
