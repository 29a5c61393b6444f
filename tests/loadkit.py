"""What the tests of `kipu-harness load` share."""

# A facility other than the default one: stays in April at PHP, evaluations billed as Psychiatric
# Evaluation (test_load.py reads it, test_load_roles.py runs the roles on it).
FACILITY = """[load]
stay_days = 2
admitted_on = 2026-04-06
authorized_until = 2026-04-30
insurance_effective_date = 2026-04-01
level_of_care = "PHP"
per_diem_template = "PHP Day"
therapy_template = "Psychiatric Evaluation"
"""
