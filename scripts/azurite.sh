#!/usr/bin/env bash
# Azure Blob Storage on this machine for Pulumi state: Azurite (npm `azurite`, a devDependency), for trying the
# azblob:// backend by hand. The tests and the local pipeline runner start their own (test/support/azurite.ts).
#
#   scripts/azurite.sh start [--dir DIR] [--port PORT] [--container NAME]   start, create the container, print env
#   scripts/azurite.sh stop  [--dir DIR] [--clean]                          stop by PID (and remove the folder)
#
# `start` prints `export NAME='value'` lines on stdout (logs go to stderr), so `eval "$(scripts/azurite.sh start)"`
# leaves PULUMI_BACKEND_URL, AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY set and `pulumi login` needs nothing more.
# The account key is random per folder, kept in DIR/account-key (mode 0600) and handed to Azurite through its
# environment (AZURITE_ACCOUNTS), never on a command line; the printed line reads it from that file.
# Azurite listens on 127.0.0.1 only, reports no telemetry, and keeps its data in DIR (default
# /tmp/syncgap-azurite). Why the URL looks as it does: test/support/azurite.ts.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${SYNCGAP_AZURITE_DIR:-/tmp/syncgap-azurite}"
PORT=""
CONTAINER="syncgap-state"
ACCOUNT="syncgapstate"
CLEAN=""
cmd="${1:-}"
shift || true
while [ $# -gt 0 ]; do
  case "$1" in
  --dir) DIR="$2"; shift 2 ;;
  --port) PORT="$2"; shift 2 ;;
  --container) CONTAINER="$2"; shift 2 ;;
  --clean) CLEAN=1; shift ;;
  *) echo "azurite.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
log() { printf '[azurite] %s\n' "$*" >&2; }

running_pid() {
  local pid
  pid="$(cat "$DIR/azurite.pid" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && printf '%s' "$pid"
}

case "$cmd" in
start)
  mkdir -p "$DIR"
  if [ ! -s "$DIR/account-key" ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 -w0 >"$DIR/account-key")
  fi
  if pid="$(running_pid)"; then
    PORT="$(cat "$DIR/port")"
    log "already running (pid $pid) on 127.0.0.1:$PORT"
  else
    [ -n "$PORT" ] || PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})')"
    printf '%s' "$PORT" >"$DIR/port"
    AZURITE_ACCOUNTS="$ACCOUNT:$(cat "$DIR/account-key")" setsid "$ROOT/node_modules/.bin/azurite-blob" \
      --blobHost 127.0.0.1 --blobPort "$PORT" --location "$DIR/data" --loose --skipApiVersionCheck \
      --disableTelemetry --silent >"$DIR/azurite.log" 2>&1 </dev/null &
    echo $! >"$DIR/azurite.pid"
    for _ in $(seq 1 100); do
      grep -q 'successfully listens' "$DIR/azurite.log" 2>/dev/null && break
      sleep 0.1
    done
    grep -q 'successfully listens' "$DIR/azurite.log" || { log "did not start:"; cat "$DIR/azurite.log" >&2; exit 1; }
    log "started (pid $(cat "$DIR/azurite.pid")) on 127.0.0.1:$PORT, data in $DIR/data"
  fi
  # The container first: Pulumi's azblob backend does not create it.
  SG_AZ_KEY_FILE="$DIR/account-key" node --import tsx -e '
    const { blobRequest } = require(process.argv[1]);
    const [port, account, container] = process.argv.slice(2);
    const key = require("node:fs").readFileSync(process.env.SG_AZ_KEY_FILE, "utf8").trim();
    blobRequest({ port: Number(port), account, key, method: "PUT", resource: `/${container}`, query: { restype: "container" } })
      .then((r) => { if (r.status !== 201 && r.status !== 409) { console.error(`HTTP ${r.status}: ${r.body}`); process.exit(1); } });
  ' "$ROOT/test/support/azurite.ts" "$PORT" "$ACCOUNT" "$CONTAINER"
  printf "export PULUMI_BACKEND_URL='azblob://%s?domain=127.0.0.1:%s&protocol=http&localemu=true'\n" "$CONTAINER" "$PORT"
  printf "export AZURE_STORAGE_ACCOUNT='%s'\n" "$ACCOUNT"
  printf 'export AZURE_STORAGE_KEY="$(cat %q)"\n' "$DIR/account-key"
  ;;
stop)
  if pid="$(running_pid)"; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    log "stopped (pid $pid)"
  else
    log "not running ($DIR)"
  fi
  rm -f "$DIR/azurite.pid"
  if [ -n "$CLEAN" ]; then rm -rf "$DIR"; fi
  ;;
*)
  sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
