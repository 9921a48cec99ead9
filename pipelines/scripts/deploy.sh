#!/usr/bin/env bash
# Main branch: `pulumi up` of the tenant's stack, in a deployment job whose Environment holds the approvals.
#   deploy.sh appOnly    the pipeline identity (service connection, workload identity federation) writes the
#                        switch: needs the application permission OnPremDirectorySynchronization.ReadWrite.All
#   deploy.sh delegated  an approver signs in as a Global Administrator with a device code shown in this log
#                        (Microsoft documents the sync-settings API as delegated-only, Global Administrator):
#                        SYNCGAP_DELEGATED_CLIENT_ID names the public-client app (bootstrap/ creates it)
# The state backend is always reached with the pipeline's own credentials.
#
# `--refresh`: up reads the tenant before it compares, so a switch turned off outside Pulumi shows as a change and
# is PATCHed back. Without a refresh, up compares the declaration with the state of the last update, reports
# "unchanged" and leaves the tenant drifted — and the nightly drift check tells people to run this deploy to fix
# it. Pulumi.yaml's `options: refresh: always` does the same for a `pulumi up` typed by hand; the flag keeps this
# script right on its own (https://www.pulumi.com/docs/iac/cli/commands/pulumi_up/).
# After up, the stack's outputs must show the tenant holding the declared value; anything else fails the step.
# shellcheck source=pipelines/scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
mode="${1:-appOnly}"
case "$mode" in
appOnly) ;;
delegated)
  [ -n "${SYNCGAP_DELEGATED_CLIENT_ID:-}" ] ||
    sg_fail "enforcementIdentity delegated needs SYNCGAP_DELEGATED_CLIENT_ID (the public-client app registration from bootstrap/) in the variable group"
  export SYNCGAP_AUTH_METHOD=deviceCode SYNCGAP_CLIENT_ID="$SYNCGAP_DELEGATED_CLIENT_ID"
  sg_issue warning "Waiting for a Global Administrator to sign in with the device code below (enforcementIdentity delegated)"
  ;;
*) sg_fail "deploy.sh: enforcement identity must be appOnly or delegated, not $mode" ;;
esac
sg_select_stack
set +e
pulumi up --refresh --yes --stack "$SYNCGAP_STACK" --non-interactive --color never 2>&1 | tee "$sg_reports/up.txt"
rc=${PIPESTATUS[0]}
set -e
# A lock held by another update, or a state backend that stopped answering, is said as such (common.sh).
[ "$rc" = 0 ] || sg_pulumi_failed "pulumi up of stack $SYNCGAP_STACK" "$rc" "$sg_reports/up.txt"
pulumi stack output --json --stack "$SYNCGAP_STACK" >"$sg_reports/outputs.json"
# lastSeen… is what the provider read in up's refresh, or wrote (index.ts); the JSON is read by pulumiEvents.ts.
verdict="$(node dist/pulumiEvents.cjs outputs-check "$sg_reports/outputs.json" || true)"
case "$verdict" in
"ok "*) echo "Stack $SYNCGAP_STACK: the tenant holds bypassDirSyncOverridesEnabled = ${verdict#ok }, as declared." ;;
*) sg_fail "after pulumi up of stack $SYNCGAP_STACK, bypassDirSyncOverridesEnabled is not the declared value ($verdict); see up.txt and outputs.json in the artifact" ;;
esac
