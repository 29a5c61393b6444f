"""``python tests/mutants``: run every mutant against the scenarios of its rule (see runner.py)."""

import sys
from pathlib import Path

# tests/, not tests/mutants, first on the path: the package is "mutants", its modules stay inside it
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from mutants.runner import main  # noqa: E402

raise SystemExit(main())
