#!/bin/sh
# Make sure Debian's Chromium is installed for the browser tests (tests/apps, marker "browser").
# Playwright drives /usr/bin/chromium; it cannot download its own browser in our CI. Installs the
# Debian package when it is missing and we are root; otherwise says what to run. Exit status 0
# when Chromium is there at the end, 1 when it is not.
set -eu

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ -x "$CHROMIUM" ]; then
    echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
    exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "chromium: $CHROMIUM is missing; installing Debian's chromium package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
    if [ -x "$CHROMIUM" ]; then
        echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
        exit 0
    fi
    echo "chromium: the chromium package installed, but $CHROMIUM is still missing" >&2
    exit 1
fi

echo "chromium: $CHROMIUM is missing; install it with:" >&2
echo "    sudo apt-get update && sudo apt-get install -y chromium" >&2
echo "(the browser tests in tests/apps are skipped without it)" >&2
exit 1
