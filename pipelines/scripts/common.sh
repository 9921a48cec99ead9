# shellcheck shell=bash
# Sourced by every pipeline script (pipelines/scripts/*.sh). It:
#   - turns on strict mode and moves to the checked-out sources;
#   - drops environment variables whose value is an unexpanded Azure DevOps macro: a step that maps
#     `SYSTEM_ACCESSTOKEN: $(System.AccessToken)` or `AZURE_CLIENT_SECRET: $(AZURE_CLIENT_SECRET)` gets the literal
#     text `$(…)` when the variable is not defined, and that must not pass for a secret;
#   - takes the tenant and client id from the service connection (AzureCLI@2 exports AZURESUBSCRIPTION_* and, with
#     addSpnToEnvironment, servicePrincipalId/tenantId) unless the stack or the variable group sets them;
#   - puts Node.js 22 and the pinned Pulumi CLI on PATH (scripts/toolchain.sh; fast when setup.sh ran before);
#   - checks the Pulumi state backend is set (PULUMI_BACKEND_URL, never the Pulumi Cloud by default) and selects
#     the tenant's stack;
#   - defines sg_reports (the folder published as this job's artifact) and sg_issue / sg_fail (logging commands).
set -euo pipefail

sg_root="${BUILD_SOURCESDIRECTORY:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
cd "$sg_root"

for _sg_name in $(compgen -e); do
  if [[ "${!_sg_name}" =~ ^\$\([A-Za-z0-9_.-]+\)$ ]]; then unset "$_sg_name"; fi
done
unset _sg_name
# Secrets read from a Key Vault arrive under the vault's names (no '_' allowed there): see tenant-step.yml.
for _sg_name in PULUMI_CONFIG_PASSPHRASE SYNCGAP_AD_PASSWORD AZURE_CLIENT_SECRET; do
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

if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  sg_fail "PULUMI_BACKEND_URL is not set. Put the state backend in the variable group (e.g. azblob://syncgap-state?storage_account=<account>); syncgap's pipelines do not use the Pulumi Cloud unless you set it there."
fi
export PULUMI_SKIP_UPDATE_CHECK=true NO_COLOR=1

sg_reports="${BUILD_ARTIFACTSTAGINGDIRECTORY:-$sg_root/out/pipeline}/$SYNCGAP_STACK"
mkdir -p "$sg_reports"

sg_select_stack() {
  pulumi stack select --create --non-interactive "$SYNCGAP_STACK" >&2 ||
    sg_fail "could not select or create the Pulumi stack $SYNCGAP_STACK in $PULUMI_BACKEND_URL (is PULUMI_CONFIG_PASSPHRASE set for the passphrase secrets provider?)"
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
