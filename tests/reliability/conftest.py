"""Reliability tests: faults, bad input, access (issue 8).

This folder is a package (``__init__.py``) so that its ``conftest`` does not
shadow ``tests/conftest.py``: the tests here import ``from conftest import
ROOT, CASES, SEEDS`` like every other test. The line below makes that import
work even when a file here is run on its own.
"""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))
