#!/usr/bin/env bash
# Everything the test suite needs on a fresh machine, then the suite itself.
# System packages (LibreOffice, poppler, CJK fonts) serve the Word→PDF rendering test;
# without root or apt they are skipped with a warning and that one test skips.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
    missing=""
    for package in libreoffice-writer-nogui poppler-utils fonts-noto-cjk; do
        dpkg -s "$package" >/dev/null 2>&1 || missing="$missing $package"
    done
    if [ -n "$missing" ]; then
        echo "installing system packages:$missing" >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null) \
            || echo "warning: could not install$missing; the PDF rendering test will be skipped" >&2
    fi
fi

python -m pip install -q -e ".[test]"
exec python -m pytest "$@"
