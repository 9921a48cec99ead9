#!/usr/bin/env bash
# Nightly: the gap report (`syncgap gap`), AD vs Entra ID mobile numbers, with the impact of AD authority.
# Exit 1 when the gaps exceed SYNCGAP_MAX_GAPS (default 0; set it in the variable group while a tenant converges),
# 2 when it could not run. Reports as for the gate; syncgap attaches the Markdown one to the run's summary.
# shellcheck source=pipelines/scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
sg_ad_args
bin/syncgap gap "${sg_ad[@]}" --entra-graph --impact --max-gaps "${SYNCGAP_MAX_GAPS:-0}" --out "$sg_reports/gap" --quiet
