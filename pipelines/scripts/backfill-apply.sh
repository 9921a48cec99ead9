#!/usr/bin/env bash
# Main branch, in the approved deployment job, before `pulumi up`: applies the reviewed back-fill plan committed as
# backfill-plans/<stack>/ (backfill-plan.json, and the reviewed backfill-plan.csv when there is one), so the numbers it
# keeps are in AD before AD authority is turned on (docs/backfill.md). Nothing committed: nothing to do.
# Exit codes of `syncgap backfill apply`: 0 all written (or already there: re-running is a no-op), 1 users skipped
# (still to review, or AD changed since the plan: never overwritten), 2 could not read or write. Anything but 0 stops
# the deployment here, before the switch can lose a number; the apply report and the undo file go into the artifact.
# AD write access: SYNCGAP_BACKFILL_BIND_DN (an account with only "Write mobile" on the users' OU) and the secret
# SYNCGAP_BACKFILL_PASSWORD; the DC and its CA as for reading (SYNCGAP_AD_URL, SYNCGAP_AD_CA_CERT).
# shellcheck source=pipelines/scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
reviewed="backfill-plans/$SYNCGAP_STACK"
if [ ! -f "$reviewed/backfill-plan.json" ]; then
  echo "No reviewed back-fill plan in $reviewed/: nothing to apply."
  exit 0
fi
[ -n "${SYNCGAP_BACKFILL_BIND_DN:-}" ] ||
  sg_fail "a back-fill plan is committed in $reviewed/ but SYNCGAP_BACKFILL_BIND_DN is not set: add the account that may write mobile to the variable group (and the secret SYNCGAP_BACKFILL_PASSWORD)"
[ -n "${SYNCGAP_BACKFILL_PASSWORD:-}" ] ||
  sg_fail "a back-fill plan is committed in $reviewed/ but the secret SYNCGAP_BACKFILL_PASSWORD is not set (variable group or Key Vault: syncgap-backfill-password)"
decisions=()
[ -f "$reviewed/backfill-plan.csv" ] && decisions=(--decisions "$reviewed/backfill-plan.csv")
mkdir -p "$sg_reports/backfill"
cp "$reviewed/backfill-plan.json" "$sg_reports/backfill/"
set +e
bin/syncgap backfill apply --plan "$sg_reports/backfill/backfill-plan.json" "${decisions[@]}" \
  --ad-bind-dn "$SYNCGAP_BACKFILL_BIND_DN" --ad-password-env SYNCGAP_BACKFILL_PASSWORD --report "$sg_reports/backfill/backfill-apply-report.json"
rc=$?
set -e
case "$rc" in
0) echo "Back-fill plan $reviewed applied: every number it keeps is in AD." ;;
1) sg_fail "back-fill plan $reviewed: users were skipped (still to review, or AD changed since the plan), so pulumi up does not run; see backfill-apply-report.json in the artifact and make or review a new plan" ;;
*) sg_fail "back-fill plan $reviewed could not be applied (exit $rc); see the log above and backfill-apply-report.json in the artifact" ;;
esac
