#!/usr/bin/env bash
# Everything the test suite needs on a fresh machine, then the suite itself.
# System packages: LibreOffice, poppler and CJK fonts for the Word→PDF rendering test, Debian's
# chromium for the browser test (Playwright drives it; it never downloads a browser of its own);
# without root or apt they are skipped with a warning and those tests report the missing browser or skip the PDF check.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    missing=""
    for package in libreoffice-writer-nogui poppler-utils fonts-noto-cjk chromium; do
        dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
    done
    if [ -n "$missing" ]; then
        echo "installing system packages:$missing" >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null) \
            || echo "warning: could not install$missing; the PDF rendering test will be skipped" >&2
    fi
fi

python -m pip install -q -e ".[test]"
python -m mypy
# Two workers (a CI machine has two cores); --dist loadfile keeps each file's tests on one worker, in order,
# so module fixtures are built once and the fuzzers' closing tallies see their properties' runs. Files go to the
# workers in collection order, which puts the longest first (LONGEST_FIRST in tests/conftest.py).
exec python -m pytest -n 2 --dist loadfile --no-loadscope-reorder "$@"
