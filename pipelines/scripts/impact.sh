#!/usr/bin/env bash
# Pull request: what turning AD authority on would overwrite in the tenant (`syncgap impact`): the cloud-entered
# mobile numbers that sync would replace or clear. Writes impact-report.* and gap-report.* into the job's artifact
# folder; syncgap itself attaches the Markdown report to the run's summary (##vso[task.uploadsummary]).
# Environment: SYNCGAP_STACK, the Graph connection (common.sh) and the AD source (sg_ad_args in common.sh).
# shellcheck source=pipelines/scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
sg_ad_args
bin/syncgap impact "${sg_ad[@]}" --entra-graph --out "$sg_reports/impact" --quiet
