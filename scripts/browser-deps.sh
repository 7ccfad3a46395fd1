#!/usr/bin/env bash
# Debian's Chromium for the real-browser tests, and a Korean font so that the Korean
# edition's pages and screenshots show Hangul rather than empty boxes (idempotent; never a
# downloaded browser). As root with apt-get (CI, containers) it installs what is missing;
# anywhere else it says how to enable the browser tests, which are then skipped with that
# reason.
set -u
need=()
if ! command -v chromium >/dev/null 2>&1 && ! [ -x /usr/bin/chromium ]; then
    need+=(chromium)
fi
if ! fc-list :lang=ko 2>/dev/null | grep -q .; then
    need+=(fonts-nanum)
fi
if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "browser-deps: installing Debian's ${need[*]} for the browser tests"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
        || echo "browser-deps: apt-get install ${need[*]} failed: the browser tests will be skipped"
else
    echo "browser-deps: missing ${need[*]}; install Debian's packages (sudo apt-get install"
    echo "  ${need[*]}) to run the real-browser tests (a Korean font shows the Korean pages)."
    echo "  Until Chromium is there, those tests are skipped, with this reason."
fi
exit 0
