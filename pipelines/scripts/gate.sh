#!/usr/bin/env bash
# Main branch, after the deploy job: the post-deploy gate (`syncgap check`). It compares the tenant's switch with
# the stack's declared value, waits for a directory sync that finished after the last `pulumi up` of the stack,
# then runs the gap analysis against the thresholds. Reports: gap-report.xml (JUnit, published as test results),
# .csv/.html/.json (artifact) and .md (run summary, attached by syncgap).
# Exit codes (docs/gap-analysis.md): 0 pass, 1 fail, 2 could not run, 3 no sync before the timeout.
# Environment: SYNCGAP_STACK; SYNCGAP_SYNC_TIMEOUT (seconds, default 2400), SYNCGAP_POLL_INTERVAL (seconds,
# default 30), SYNCGAP_MAX_GAPS (default 0); the Graph connection and the AD source (common.sh).
# shellcheck source=pipelines/scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
sg_ad_args
sg_select_stack
# The sync that counts is one after the last successful update of this stack (the deploy job's `pulumi up`).
# `pulumi stack history --json` (what the Automation API's stack.history() reads), parsed by pulumiEvents.ts.
rc=0
pulumi stack history --json --page-size 20 --stack "$SYNCGAP_STACK" >"$sg_reports/history.json" 2>"$sg_reports/history.err" || rc=$?
cat "$sg_reports/history.err" >&2
[ "$rc" = 0 ] || sg_pulumi_failed "pulumi stack history of stack $SYNCGAP_STACK" "$rc" "$sg_reports/history.err"
since="$(node dist/pulumiEvents.cjs last-update "$sg_reports/history.json" || true)"
[ -n "$since" ] || sg_fail "stack $SYNCGAP_STACK has no successful update: run the deploy job first"
echo "last pulumi up of $SYNCGAP_STACK finished at $since"
bin/syncgap check "${sg_ad[@]}" --stack "$SYNCGAP_STACK" --cwd . --since "$since" \
  --sync-timeout "${SYNCGAP_SYNC_TIMEOUT:-2400}" --poll-interval "${SYNCGAP_POLL_INTERVAL:-30}" \
  --max-gaps "${SYNCGAP_MAX_GAPS:-0}" --out "$sg_reports/gate" --quiet
