from pytest_bdd import scenarios

from .paths import FEATURES

scenarios(str(FEATURES / "step1_prospect_creation.feature"))
