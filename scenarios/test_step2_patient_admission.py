from pytest_bdd import scenarios

from .paths import FEATURES

scenarios(str(FEATURES / "step2_patient_admission.feature"))
