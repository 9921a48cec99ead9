#!/usr/bin/env bash
# Installs what every job needs, with the project's own toolchain (docs/toolchain.md): Node.js 22 when the agent's
# is older, `npm ci`, and the pinned Pulumi CLI (a `pulumi` already on PATH at that version or newer — e.g. from
# the Pulumi@1 task — is used as it is). The caches ($SYNCGAP_CACHE, the npm cache) are restored by Cache@2 steps
# before this one. Later steps are separate processes, so the tools' folders are put on their PATH with
# ##vso[task.prependpath].
set -euo pipefail
cd "${BUILD_SOURCESDIRECTORY:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
# shellcheck source=scripts/toolchain.sh
. scripts/toolchain.sh
sg_toolchain
echo "##vso[task.prependpath]$(dirname "$(command -v node)")"
echo "##vso[task.prependpath]$(dirname "$(command -v pulumi)")"
echo "node $(node --version), pulumi $(pulumi version), cache $SYNCGAP_CACHE"
