#!/usr/bin/env bash
# Makes sure the Debian programs the suite drives for real are installed: Chromium at /usr/bin/chromium (the HTML
# report, test/gap/htmlReport.test.ts through playwright-core) and LibreOffice Calc at /usr/bin/soffice (what Excel
# users see of the CSV, test/gap/reports/csvSafe.test.ts). Idempotent: does nothing when both are there; otherwise
# installs the missing packages with apt-get (needs root). The tests themselves install nothing: they fail with a
# message naming this script.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/soffice ] || missing+=(libreoffice-calc)
if [ ${#missing[@]} = 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "ensure-packages: ${missing[*]} missing and installing needs root: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
command -v apt-get >/dev/null 2>&1 || {
  echo "ensure-packages: no apt-get; install ${missing[*]} (/usr/bin/chromium, /usr/bin/soffice)" >&2
  exit 1
}
echo "ensure-packages: installing ${missing[*]} (apt-get update first)" >&2
DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-upgrade "${missing[@]}" >&2
for bin in /usr/bin/chromium /usr/bin/soffice; do
  [ -x "$bin" ] || {
    echo "ensure-packages: installed ${missing[*]} but $bin is still missing" >&2
    exit 1
  }
done
echo "ensure-packages: $(/usr/bin/chromium --version 2>/dev/null || echo chromium), $(/usr/bin/soffice --version 2>/dev/null | head -1 || echo soffice) ready" >&2
