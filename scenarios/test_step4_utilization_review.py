from pytest_bdd import scenarios

from .paths import FEATURES

scenarios(str(FEATURES / "step4_utilization_review.feature"))
