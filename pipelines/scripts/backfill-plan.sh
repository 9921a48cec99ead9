#!/usr/bin/env bash
# Pull request: the back-fill plan (`syncgap backfill plan`, docs/backfill.md): the AD writes that would keep every
# cloud-entered mobile number the switch would otherwise clear or overwrite. Written into the preview artifact
# (backfill/backfill-plan.json, .csv for review in Excel, and the LDIF/PowerShell forms), for someone to review and
# commit as backfill-plans/<stack>/ in the pull request: the deploy stage applies that reviewed plan before `pulumi up`
# (deploy.sh), and the mobile-gap-impact policy's no-loss mode holds the preview to it.
# A plan that cannot be made (directories unreadable, too little compared) fails this step: no plan is no "nothing to keep".
# shellcheck source=pipelines/scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
sg_ad_args
set +e
bin/syncgap backfill plan "${sg_ad[@]}" --entra-graph --emit --out "$sg_reports/backfill"
rc=$?
set -e
[ "$rc" = 0 ] || sg_fail "syncgap backfill plan for stack $SYNCGAP_STACK failed (exit $rc): see the log above"
reviewed="backfill-plans/$SYNCGAP_STACK"
if [ -f "$reviewed/backfill-plan.json" ]; then
  echo "A reviewed plan is committed in $reviewed/: the deploy stage applies it before pulumi up."
else
  echo "No reviewed plan in $reviewed/: to keep these numbers, review backfill/backfill-plan.csv from this run's artifact and commit it with backfill-plan.json as $reviewed/."
fi
