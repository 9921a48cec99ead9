#!/usr/bin/env bash
# The main job on the embedded default (the local tenant): see scripts/demo.ts for the steps. Needs no root and
# no tenant; installs Node 22, npm dependencies and the Pulumi CLI when missing (scripts/toolchain.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
. scripts/toolchain.sh
sg_toolchain
exec node --import ./node_modules/tsx/dist/loader.mjs scripts/demo.ts "$@"
