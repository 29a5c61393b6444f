"""Where the scenarios and feature files are, the same in a checkout (``scenarios/`` beside
``features/``) and in an installed wheel (``kipu_harness/scenarios`` beside
``kipu_harness/features``): found from this file, never from the harness package's own place."""

from pathlib import Path

SCENARIOS = Path(__file__).resolve().parent
FEATURES = SCENARIOS.parent / "features"
