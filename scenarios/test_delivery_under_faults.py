from pytest_bdd import scenarios

from .paths import FEATURES

scenarios(str(FEATURES / "delivery_under_faults.feature"))
