"""The runbooks' tests read services too: tests/catalog's row kit on sys.path."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent / "catalog"))
