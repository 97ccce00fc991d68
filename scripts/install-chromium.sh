#!/usr/bin/env bash
# Makes sure a system Chromium exists for the report browser test (test/e2e/report-browser.test.ts).
# Idempotent. Never fails the build: when Chromium can't be installed it prints a warning and exits 0.
set -u

target=/usr/bin/chromium

# tmux gives the terminal test (test/e2e/terminal.test.ts) a real screen to read.
if ! command -v tmux >/dev/null 2>&1 && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux; } >/dev/null 2>&1 \
    || echo "install-chromium: WARNING: apt-get could not install tmux; the terminal test will fail under CI." >&2
fi

if [ -n "${CHROMIUM_PATH:-}" ] && [ -x "$CHROMIUM_PATH" ]; then
  echo "install-chromium: using CHROMIUM_PATH=$CHROMIUM_PATH, nothing to do"
  exit 0
fi
if [ -x "$target" ]; then
  echo "install-chromium: already present at $target, nothing to do"
  exit 0
fi

if [ "$(id -u)" != "0" ]; then
  echo "install-chromium: WARNING: $target is missing and we are not root; install the 'chromium' package (or set CHROMIUM_PATH) to run the browser tests." >&2
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: WARNING: $target is missing and apt-get is unavailable; install Chromium by hand (or set CHROMIUM_PATH) to run the browser tests." >&2
  exit 0
fi

log="$(mktemp -t install-chromium.XXXXXX.log)"
if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$log" 2>&1; then
  if [ -x /usr/bin/chromium ]; then
    echo "install-chromium: installed chromium with apt-get ($(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium))"
    rm -f "$log"
    exit 0
  fi
fi

echo "install-chromium: WARNING: apt-get could not install chromium (see $log); browser tests will fail under CI." >&2
tail -n 5 "$log" >&2 || true
exit 0
