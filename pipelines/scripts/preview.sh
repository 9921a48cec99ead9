#!/usr/bin/env bash
# Pull request: `pulumi preview` of the tenant's stack with syncgap's policy pack (policies/). A mandatory policy
# violation makes the preview exit 1 and fails the step; each violation is also reported as a logging command
# (errors for mandatory, warnings for advisory) and in preview.md, attached to the run's summary. Violations and
# resource counts come from the preview's event log (`policyEvent`, `summaryEvent`; pulumiEvents.ts), not from the
# CLI's text, whose format is not an interface (`preview --json` would drop the policy events: pulumi/pulumi#18851).
# Environment: SYNCGAP_STACK; SYNCGAP_POLICY_PACK_CONFIG (optional policy configuration file); the Graph
# connection and the state backend (see common.sh).
# shellcheck source=pipelines/scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
sg_select_stack

events="$(sg_event_log preview)"
args=(preview --stack "$SYNCGAP_STACK" --non-interactive --color never --policy-pack policies --event-log "$events")
if [ -n "${SYNCGAP_POLICY_PACK_CONFIG:-}" ]; then
  [ -f "$SYNCGAP_POLICY_PACK_CONFIG" ] || sg_fail "the policy pack configuration $SYNCGAP_POLICY_PACK_CONFIG does not exist"
  args+=(--policy-pack-config "$SYNCGAP_POLICY_PACK_CONFIG")
fi
echo "pulumi ${args[*]}"
set +e
PULUMI_DEBUG_COMMANDS=true pulumi "${args[@]}" 2>&1 | tee "$sg_reports/preview.txt"
rc=${PIPESTATUS[0]}
set -e

node dist/pulumiEvents.cjs policy "$events" --markdown "$sg_reports/policy.md" >"$sg_reports/policy-issues.txt"
grep -v '^found ' "$sg_reports/policy-issues.txt" || true
{
  echo "# Preview of stack \`$SYNCGAP_STACK\`"
  echo
  if [ "$rc" = 0 ]; then echo "\`pulumi preview\` passed the policy pack."; else echo "\`pulumi preview\` failed (exit $rc)."; fi
  echo
  cat "$sg_reports/policy.md"
  echo
  node dist/pulumiEvents.cjs changes "$events"
  echo
  echo "The CLI's full output is preview.txt in the artifact."
} >"$sg_reports/preview.md"
echo "##vso[task.uploadsummary]$sg_reports/preview.md"

if [ "$rc" != 0 ]; then
  if grep -q 'the stack is currently locked by' "$sg_reports/preview.txt" || sg_backend_unreachable "$(cat "$sg_reports/preview.txt")"; then
    sg_pulumi_failed "pulumi preview of stack $SYNCGAP_STACK" "$rc" "$sg_reports/preview.txt"
  fi
  sg_fail "pulumi preview of stack $SYNCGAP_STACK failed (exit $rc): a mandatory policy violation exits 1; see preview.txt in the artifact"
fi
