"""Where the feature files are: beside this package in a checkout and in an installed wheel."""

from pathlib import Path

FEATURES = Path(__file__).resolve().parent.parent / "features"
