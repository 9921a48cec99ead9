# shellcheck shell=bash
# Sourced by every pipeline script (pipelines/scripts/*.sh). It:
#   - turns on strict mode and moves to the checked-out sources;
#   - drops environment variables whose value is an unexpanded Azure DevOps macro: a step that maps
#     `SYSTEM_ACCESSTOKEN: $(System.AccessToken)` or `AZURE_CLIENT_SECRET: $(AZURE_CLIENT_SECRET)` gets the literal
#     text `$(…)` when the variable is not defined, and that must not pass for a secret;
#   - takes the tenant and client id from the service connection (AzureCLI@2 exports AZURESUBSCRIPTION_* and, with
#     addSpnToEnvironment, servicePrincipalId/tenantId) unless the stack or the variable group sets them;
#   - puts Node.js 22 and the pinned Pulumi CLI on PATH (scripts/toolchain.sh; fast when setup.sh ran before);
#   - checks the Pulumi state backend is set (PULUMI_BACKEND_URL, never the Pulumi Cloud by default), prepares the
#     credentials of an azblob:// backend (sg_state_credentials, below) and selects the tenant's stack;
#   - defines sg_reports (the folder published as this job's artifact) and sg_issue / sg_fail (logging commands).
set -euo pipefail

sg_root="${BUILD_SOURCESDIRECTORY:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$sg_root"

for _sg_name in $(compgen -e); do
  if [[ "${!_sg_name}" =~ ^\$\([A-Za-z0-9_.-]+\)$ ]]; then unset "$_sg_name"; fi
done
unset _sg_name
# Secrets read from a Key Vault arrive under the vault's names (no '_' allowed there): see tenant-step.yml.
for _sg_name in PULUMI_CONFIG_PASSPHRASE SYNCGAP_AD_PASSWORD SYNCGAP_BACKFILL_PASSWORD AZURE_CLIENT_SECRET AZURE_STORAGE_KEY; do
  _sg_kv="SYNCGAP_KV_$_sg_name"
  if [ -z "${!_sg_name:-}" ] && [ -n "${!_sg_kv:-}" ]; then export "$_sg_name=${!_sg_kv}"; fi
  unset "$_sg_kv"
done
unset _sg_name _sg_kv

# Logging commands (https://learn.microsoft.com/azure/devops/pipelines/scripts/logging-commands). Messages are
# escaped as the agent's task library does: % → %AZP25, CR → %0D, LF → %0A.
_sg_escape() {
  local s="${1//%/%AZP25}"
  s="${s//$'\r'/%0D}"
  printf '%s' "${s//$'\n'/%0A}"
}
sg_issue() { # type message
  printf '##vso[task.logissue type=%s;]%s\n' "$1" "$(_sg_escape "$2")"
}
sg_fail() { # message: marks the step failed and stops the script (exit 1 too, for agents and the runner alike)
  sg_issue error "$1"
  printf '##vso[task.complete result=Failed;]%s\n' "$(_sg_escape "$1")"
  exit 1
}

: "${SYNCGAP_STACK:?SYNCGAP_STACK is not set: the pipeline template passes the stack name of the tenant}"

_sg_first() { # prints the first non-empty argument
  local v
  for v in "$@"; do
    if [ -n "$v" ]; then
      printf '%s' "$v"
      return 0
    fi
  done
}
SYNCGAP_CLIENT_ID="$(_sg_first "${SYNCGAP_CLIENT_ID:-}" "${AZURESUBSCRIPTION_CLIENT_ID:-}" "${servicePrincipalId:-}")"
SYNCGAP_TENANT_ID="$(_sg_first "${SYNCGAP_TENANT_ID:-}" "${AZURESUBSCRIPTION_TENANT_ID:-}" "${tenantId:-}")"
for _sg_name in SYNCGAP_CLIENT_ID SYNCGAP_TENANT_ID; do
  if [ -n "${!_sg_name}" ]; then export "${_sg_name?}"; else unset "$_sg_name"; fi
done
unset _sg_name

# shellcheck source=scripts/toolchain.sh
. "$sg_root/scripts/toolchain.sh"
sg_ensure_node >&2
sg_ensure_pulumi >&2
# the Pulumi program, the policy pack and pulumiEvents run from dist/ (setup.sh built it; this only checks)
sg_build >&2

if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  sg_fail "PULUMI_BACKEND_URL is not set. Put the state backend in the variable group (e.g. azblob://syncgap-state?storage_account=<account>); syncgap's pipelines do not use the Pulumi Cloud unless you set it there."
fi
export PULUMI_SKIP_UPDATE_CHECK=true NO_COLOR=1

# The backend URL as it may be printed: a user:password part (a postgres:// backend) is replaced, as Pulumi's own
# lock messages do. An azblob:// URL never holds the key (it comes from the environment).
sg_backend_display() {
  printf '%s' "$PULUMI_BACKEND_URL" | sed -E 's#^([a-z0-9+]+://)[^/@]*@#\1****:****@#'
}

# Credentials of an azblob:// state backend. Pulumi opens it with gocloud.dev's azureblob driver, which reads them
# from the environment only (pulumi v3.274.1 pkg/backend/diy/backend.go; gocloud blob/azureblob newCredInfoFromEnv):
#   - AZURE_STORAGE_ACCOUNT + AZURE_STORAGE_KEY: a shared key. The URL's `storage_account` parameter names the
#     account for the endpoint but does NOT count for the key, so the account is exported from it here;
#   - neither: azidentity's DefaultAzureCredential, which inside AzureCLI@2 is the Azure CLI the task logged in as
#     the service connection (workload identity federation): Entra ID auth, the identity needs "Storage Blob Data
#     Contributor" on the container. This is the default (SYNCGAP_STATE_AUTH=login).
#   - SYNCGAP_STATE_AUTH=accountKey and no AZURE_STORAGE_KEY from the variable group or Key Vault: the key is read
#     with `az storage account keys list` as the service connection (it needs listKeys on the account), kept in
#     this process's environment and registered as a secret so the agent masks it (##vso[task.setsecret]).
# Pulumi@1 cannot do either with a workload-identity connection (pulumi/pulumi#16526,
# pulumi/pulumi-az-pipelines-task#147): it never touches the state here (setup-steps.yml).
sg_state_credentials() {
  case "$PULUMI_BACKEND_URL" in azblob://*) ;; *) return 0 ;; esac
  local query="${PULUMI_BACKEND_URL#*\?}" account=""
  [ "$query" = "$PULUMI_BACKEND_URL" ] && query=""
  account="$(printf '%s' "$query" | tr '&' '\n' | sed -n 's/^storage_account=//p' | head -n1)"
  if [ -z "${AZURE_STORAGE_ACCOUNT:-}" ] && [ -n "$account" ]; then export AZURE_STORAGE_ACCOUNT="$account"; fi
  if [ -z "${AZURE_STORAGE_KEY:-}" ] && [ "${SYNCGAP_STATE_AUTH:-login}" = accountKey ]; then
    [ -n "${AZURE_STORAGE_ACCOUNT:-}" ] ||
      sg_fail "SYNCGAP_STATE_AUTH=accountKey needs the storage account: add storage_account=<account> to PULUMI_BACKEND_URL or set AZURE_STORAGE_ACCOUNT"
    local key
    key="$(az storage account keys list --account-name "$AZURE_STORAGE_ACCOUNT" --query '[0].value' -o tsv 2>/dev/null)" ||
      key=""
    [ -n "$key" ] ||
      sg_fail "could not read a key of storage account $AZURE_STORAGE_ACCOUNT with az storage account keys list (does the service connection's identity have Microsoft.Storage/storageAccounts/listKeys/action on it?)"
    echo "##vso[task.setsecret]$key"
    export AZURE_STORAGE_KEY="$key"
  fi
  if [ -n "${AZURE_STORAGE_KEY:-}" ] && [ -z "${AZURE_STORAGE_ACCOUNT:-}" ]; then
    sg_fail "AZURE_STORAGE_KEY is set but not the account it belongs to: add storage_account=<account> to PULUMI_BACKEND_URL or set AZURE_STORAGE_ACCOUNT (without both, Pulumi ignores the key)"
  fi
  return 0
}
sg_state_credentials
printf 'Pulumi state backend: %s\n' "$(sg_backend_display)"

sg_reports="${BUILD_ARTIFACTSTAGINGDIRECTORY:-$sg_root/out/pipeline}/$SYNCGAP_STACK"
mkdir -p "$sg_reports"

sg_select_stack() {
  local out rc=0
  out="$(pulumi stack select --create --non-interactive "$SYNCGAP_STACK" 2>&1)" || rc=$?
  [ -z "$out" ] || printf '%s\n' "$out" >&2
  [ "$rc" = 0 ] && return 0
  if sg_backend_unreachable "$out"; then
    sg_fail "could not select the Pulumi stack $SYNCGAP_STACK: the state backend $(sg_backend_display) did not answer (see the log above); nothing was changed"
  fi
  sg_fail "could not select or create the Pulumi stack $SYNCGAP_STACK in $(sg_backend_display) (is PULUMI_CONFIG_PASSPHRASE set for the passphrase secrets provider? for azblob://, the storage credentials: docs/pipelines.md#the-state-in-azure-blob-storage)"
}

# True when a Pulumi command's output shows that the state backend could not be reached: a network error from the
# blob driver, or the pinned CLI's crash in gocloud's azureblob writer when an upload fails (a nil-pointer panic in
# blob/azureblob (*writer).Close after the endpoint went away; seen with Azurite, test/providers/e2e.test.ts B7).
sg_backend_unreachable() { # output
  grep -qE 'dial tcp|connection refused|no such host|i/o timeout|TLS handshake timeout|connection reset by peer|gocloud\.dev/blob|AuthorizationFailure|AuthenticationFailed|unable to open bucket' <<<"$1"
}

# Fails the step for a pulumi command that exited non-zero, saying why when the output shows it: the state backend
# did not answer, or the stack is locked by another update (or by one that was killed: `pulumi cancel` removes a
# DIY backend's lock files, pkg/backend/diy CancelCurrentUpdate). Secrets are never part of these messages.
sg_pulumi_failed() { # what exit-code output-file
  local what="$1" rc="$2" file="$3" text
  text="$(cat "$file" 2>/dev/null || true)"
  if grep -q 'the stack is currently locked by' <<<"$text"; then
    sg_fail "$what failed (exit $rc): stack $SYNCGAP_STACK is locked in $(sg_backend_display) by another update. Wait for it, or if none is running (a cancelled or killed job), remove the lock with \`pulumi cancel --yes --stack $SYNCGAP_STACK\` and re-run (docs/pipelines.md#locks-killed-updates-and-backend-outages)"
  fi
  if sg_backend_unreachable "$text"; then
    sg_fail "$what failed (exit $rc): the Pulumi state backend $(sg_backend_display) could not be reached. The stack's state is what its last successful save wrote; once the backend answers, run \`pulumi cancel --yes --stack $SYNCGAP_STACK\` if the stack is still locked, then re-run (docs/pipelines.md#locks-killed-updates-and-backend-outages)"
  fi
  sg_fail "$what failed (exit $rc); see $(basename "$file") in the artifact"
}

# Runs `pulumi <args>` with an event log (JSON lines, read by pulumiEvents.ts). The pinned CLI accepts --event-log
# only with PULUMI_DEBUG_COMMANDS=true (pkg/cmd/pulumi/operations/preview.go), which is what the Automation API
# sets too (@pulumi/pulumi/automation stack.js). The log goes to the agent's temp folder, not the artifact: it
# carries every resource's inputs and outputs.
sg_event_log() { # name → prints a fresh path
  local dir="${AGENT_TEMPDIRECTORY:-${TMPDIR:-/tmp}}"
  mktemp "$dir/syncgap-$1-XXXXXX.jsonl"
}

# Arguments for bin/syncgap's AD source, from the variable group: SYNCGAP_AD_URL, SYNCGAP_AD_BIND_DN and
# SYNCGAP_AD_CA_CERT are read by syncgap itself; SYNCGAP_AD_BASE_DN may list several OUs separated by ';';
# SYNCGAP_AD_LDIF / SYNCGAP_AD_CSV name an export instead of a live DC (a Microsoft-hosted agent cannot reach AD).
sg_ad_args() {
  sg_ad=()
  if [ -n "${SYNCGAP_AD_LDIF:-}" ]; then
    sg_ad=(--ad-ldif "$SYNCGAP_AD_LDIF")
  elif [ -n "${SYNCGAP_AD_CSV:-}" ]; then
    sg_ad=(--ad-csv "$SYNCGAP_AD_CSV")
  elif [ -n "${SYNCGAP_AD_URL:-}" ]; then
    local dn
    IFS=';' read -r -a _sg_dns <<<"${SYNCGAP_AD_BASE_DN:-}"
    for dn in "${_sg_dns[@]}"; do [ -n "$dn" ] && sg_ad+=(--ad-base-dn "$dn"); done
  else
    sg_fail "no AD source: set SYNCGAP_AD_URL (with SYNCGAP_AD_BIND_DN, SYNCGAP_AD_BASE_DN and the secret SYNCGAP_AD_PASSWORD), SYNCGAP_AD_LDIF or SYNCGAP_AD_CSV in the variable group"
  fi
}
