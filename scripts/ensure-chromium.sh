#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the HTML report test (test/gap/htmlReport.test.ts drives it
# with playwright-core). Idempotent: does nothing when it is there; otherwise installs the `chromium` package with
# apt-get (needs root). The test itself installs nothing: it fails with a message naming this script.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-chromium: /usr/bin/chromium is missing and installing it needs root: sudo apt-get install chromium" >&2
  exit 1
fi
command -v apt-get >/dev/null 2>&1 || {
  echo "ensure-chromium: no apt-get; install Chromium so that /usr/bin/chromium exists" >&2
  exit 1
}
echo "ensure-chromium: installing chromium (apt-get update first)" >&2
DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-upgrade chromium >&2
[ -x /usr/bin/chromium ] || {
  echo "ensure-chromium: installed chromium but /usr/bin/chromium is still missing" >&2
  exit 1
}
echo "ensure-chromium: $(/usr/bin/chromium --version 2>/dev/null || echo chromium) ready" >&2
