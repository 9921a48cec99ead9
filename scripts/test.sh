#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs (Node 22 when the machine's node is older,
# npm dependencies, the pinned Pulumi CLI; Debian's samba, chromium and libreoffice-calc packages, which needs root), then lint +
# typecheck + vitest. The Samba DC and the local tenant are started by the tests themselves (test/globalSetup.ts).
# Extra arguments go to vitest (e.g. a test file or folder).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/toolchain.sh
t0=$SECONDS
sg_toolchain
echo "[test] toolchain ready in $((SECONDS - t0)) s: node $(node --version), pulumi $(pulumi version)"

echo "[test] system packages the suite drives for real: Samba (AD DC), Chromium (HTML report), LibreOffice Calc (CSV as Excel users see it)"
bash scripts/samba-dc.sh install
bash scripts/ensure-packages.sh

echo "[test] lint (biome)"
npx biome check .
echo "[test] typecheck (tsc --noEmit)"
npx tsc --noEmit -p tsconfig.json

echo "[test] vitest"
mkdir -p out
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json=out/vitest.json "$@"
rc=$?
set -e
node scripts/test-summary.mjs out/vitest.json "$rc"
exit "$rc"
