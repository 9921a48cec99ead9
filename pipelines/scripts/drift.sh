#!/usr/bin/env bash
# Nightly: drift detection. `pulumi preview --refresh --expect-no-changes` reads the tenant, compares it with the
# declaration and exits 7 when they differ. The preview's event log (--event-log: JSON lines, read by
# pulumiEvents.ts, never the CLI's text) names each differing property with the tenant's value and the declared one:
#   ##vso[task.logissue type=error;]Drift: bypassDirSyncOverridesEnabled is false in the tenant, declared true
# followed by ##vso[task.complete result=Failed;]. Any other non-zero exit is a failure to check, not drift.
# Nothing is written to the tenant; the refreshed state is not saved (preview).
# The fix the summary points to, the deploy stage (deploy.sh), runs `pulumi up --refresh`: it reads the tenant
# first, so the drifted properties show as changes and are PATCHed back (a `pulumi up` without a refresh would
# compare with the stored state and change nothing; Pulumi.yaml's `options: refresh: always` covers a hand-typed one).
# shellcheck source=pipelines/scripts/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
sg_select_stack
events="$(sg_event_log drift)"
set +e
PULUMI_DEBUG_COMMANDS=true pulumi preview --refresh --expect-no-changes --diff --stack "$SYNCGAP_STACK" \
  --event-log "$events" --non-interactive --color never 2>&1 | tee "$sg_reports/drift-preview.txt"
rc=${PIPESTATUS[0]}
set -e
case "$rc" in
0)
  # shellcheck disable=SC2016 # the backticks are Markdown
  printf '## Drift in stack `%s`\n\nNo drift: the tenant matches the declaration.\n' "$SYNCGAP_STACK" >"$sg_reports/drift.md"
  echo "##vso[task.uploadsummary]$sg_reports/drift.md"
  echo "No drift in stack $SYNCGAP_STACK."
  ;;
7)
  # Who changed it, and when: the directory audit log's last "Set DirSync feature" record (`syncgap audit`), or the one
  # note saying which permission would tell. Evidence only: a failure here never hides the drift.
  # Only with a tenant to ask (the tenant step's identity); at most 30 s of retries.
  evidence=""
  if [ -n "${SYNCGAP_TENANT_ID:-}" ]; then
    evidence="$(bin/syncgap audit --max 1 --max-retry-seconds 30 2>/dev/null | head -n 1 || true)"
  fi
  node dist/pulumiEvents.cjs drift "$events" \
    --markdown "$sg_reports/drift.md" --stack "$SYNCGAP_STACK" ${evidence:+--evidence "$evidence"} >"$sg_reports/drift-issues.txt"
  found="$(sed -n 's/^found //p' "$sg_reports/drift-issues.txt")"
  grep -v '^found ' "$sg_reports/drift-issues.txt" || true
  if [ "$found" = 0 ]; then
    sg_issue error "Drift: pulumi preview --refresh proposes changes to stack $SYNCGAP_STACK (see drift-preview.txt)"
  fi
  echo "##vso[task.uploadsummary]$sg_reports/drift.md"
  printf '##vso[task.complete result=Failed;]Drift in stack %s: the tenant differs from the declaration\n' "$SYNCGAP_STACK"
  exit 1
  ;;
*)
  if grep -q 'the stack is currently locked by' "$sg_reports/drift-preview.txt" || sg_backend_unreachable "$(cat "$sg_reports/drift-preview.txt")"; then
    sg_pulumi_failed "pulumi preview --refresh of stack $SYNCGAP_STACK (drift could not be checked)" "$rc" "$sg_reports/drift-preview.txt"
  fi
  sg_fail "pulumi preview --refresh of stack $SYNCGAP_STACK failed with exit code $rc: drift could not be checked (see the log above)"
  ;;
esac
