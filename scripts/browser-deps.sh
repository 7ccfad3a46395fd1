#!/usr/bin/env bash
# Debian's Chromium for the real-browser tests (idempotent; never a downloaded browser).
# As root with apt-get (CI, containers) it installs `chromium` when missing; anywhere else it
# says how to enable the browser tests, which are then skipped with that reason.
set -u
if command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "browser-deps: installing Debian's chromium for the browser tests"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
        || echo "browser-deps: apt-get install chromium failed: the browser tests will be skipped"
else
    echo "browser-deps: no Chromium; install Debian's chromium (sudo apt-get install chromium)"
    echo "  to run the real-browser tests. Until then they are skipped, with this reason."
fi
exit 0
