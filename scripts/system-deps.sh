#!/usr/bin/env bash
# System packages the grader needs beyond the Python environment (idempotent).
#
# `python -m autograder grade` runs each student's notebook inside a bubblewrap sandbox
# (no network, no access to solutions/, the gradebook or other students' work). bubblewrap
# is a system package, not a Python one. This script installs it when it is missing and we
# may: as root with apt-get, or with passwordless sudo. Otherwise it only says what
# protection is missing; it never fails the build (grading still works without the
# sandbox, with the protections it lists as missing).
set -u

have_bwrap() { command -v bwrap >/dev/null 2>&1; }

if ! have_bwrap && command -v apt-get >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        SUDO=""
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        SUDO="unavailable"
    fi
    if [ "$SUDO" != "unavailable" ]; then
        echo "system-deps: installing bubblewrap (the grader's sandbox)"
        $SUDO apt-get update -qq >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq bubblewrap >/dev/null 2>&1 \
            || echo "system-deps: apt-get install bubblewrap failed"
    fi
fi

if have_bwrap; then
    # Installed is not enough: the sandbox needs user namespaces.
    if bwrap --unshare-user --uid 65534 --gid 65534 --unshare-net --unshare-pid \
            --die-with-parent --cap-drop ALL --ro-bind / / --proc /proc --dev /dev true 2>/dev/null; then
        echo "system-deps: bubblewrap $(bwrap --version 2>/dev/null | awk '{print $2}') works: grading runs sandboxed"
    else
        echo "system-deps: bubblewrap is installed but cannot create a user namespace here"
        echo "  (kernel.unprivileged_userns_clone=0, an AppArmor or seccomp policy, or a container"
        echo "  without CAP_SYS_ADMIN). Grading will run WITHOUT the sandbox: a submission could"
        echo "  read solutions/ and other students' work, write your files and reach the network."
        if [ "$(cat /proc/sys/kernel/apparmor_restrict_unprivileged_userns 2>/dev/null)" = 1 ]; then
            echo "  This kernel restricts user namespaces through AppArmor (Ubuntu 23.10 and later);"
            echo "  an administrator can allow them: sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0"
        fi
    fi
else
    echo "system-deps: bubblewrap is not installed and could not be installed here"
    echo "  (install it with: sudo apt-get install bubblewrap; on Fedora: sudo dnf install bubblewrap)."
    echo "  Grading will run WITHOUT the sandbox: a submission could read solutions/ and other"
    echo "  students' work, write your files and reach the network. Time and memory limits,"
    echo "  process clean-up and verdicts computed outside the student's kernel still apply."
fi
exit 0
