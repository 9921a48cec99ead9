#!/usr/bin/env bash
# A throwaway Samba Active Directory domain controller for syncgap's tests, demo and benchmark.
#
#   scripts/samba-dc.sh start  [--users N] [--seed S] [--ldif FILE]... [--fresh]   install, provision, seed, start
#   scripts/samba-dc.sh stop   [--clean]                                           stop by PID (and remove the folder)
#   scripts/samba-dc.sh status                                                     exit 0 when running, 3 when not
#   scripts/samba-dc.sh env                                                        print the running DC's variables
#   scripts/samba-dc.sh install                                                    only install the Debian packages
#   scripts/samba-dc.sh template [--users N] [--seed S] [--ldif FILE]... [--fresh] only provision + seed (cached)
#   scripts/samba-dc.sh seed FILE...                                               ldbadd more LDIF into the stopped DC
#
# `start` prints `export NAME='value'` lines on stdout (logs go to stderr), so `eval "$(scripts/samba-dc.sh start)"`
# works; `test/support/sambaDc.ts` wraps it for TypeScript. Everything it writes stays in two folders:
#   - the run folder, SYNCGAP_SAMBA_DIR (default /tmp/syncgap-samba-dc-<address>): smb.conf, databases, TLS, log, pid;
#   - the template cache, $SYNCGAP_CACHE/samba-dc/templates/<hash>: a provisioned and seeded domain that was never
#     started, keyed by a hash of the seed LDIF, this recipe's version and Samba's version. `start` copies it into the
#     run folder (a provision is ~5 s, a copy well under 1 s). Nothing in the databases names its folder (only smb.conf
#     does, and that is written anew for every run), so a copy is a faithful DC. `--fresh` or SYNCGAP_SAMBA_NO_CACHE=1
#     provisions anew.
#
# The domain: CORP.EXAMPLE.TEST (NetBIOS CORP), host DC1, a fixed domain SID (so objectSids are the same on every
# provision; objectGUIDs are random, Samba assigns them). Samba listens on fixed ports: 389 (LDAP), 636 (LDAPS) and
# the global-catalog ports 3268/3269 (hard-coded in source4/ldap_server/ldap_server.c; no smb.conf option moves them),
# on SYNCGAP_SAMBA_ADDR only (default 127.0.0.1). So one DC per address: a second `start` on the same address reuses a
# running DC that serves the same seed, and restarts one that serves another.
#
# The bind account is CN=svc-syncgap,OU=Service Accounts,… (a plain user: what a read-only sync reader gets in real
# AD); its random password is in <run folder>/svc-password (mode 0600), never printed.
set -euo pipefail

RECIPE_VERSION="4" # bump when provisioning or seeding changes in a way that makes old templates wrong

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REALM="CORP.EXAMPLE.TEST"
DNS_DOMAIN="corp.example.test"
NETBIOS="CORP"
HOST_NAME="DC1"
BASE_DN="DC=corp,DC=example,DC=test"
DOMAIN_SID="S-1-5-21-2718281828-3141592653-1414213562"
SVC_SAM="svc-syncgap"
SVC_DN="CN=${SVC_SAM},OU=Service Accounts,${BASE_DN}"
USERS_DN="OU=Corp Users,${BASE_DN}"
PACKAGES=(samba samba-ad-dc samba-ad-provision ldb-tools ldap-utils)

ADDR="${SYNCGAP_SAMBA_ADDR:-127.0.0.1}"
RUN_DIR="${SYNCGAP_SAMBA_DIR:-/tmp/syncgap-samba-dc-${ADDR}}"
SYNCGAP_CACHE="${SYNCGAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/syncgap}"
TEMPLATES="${SYNCGAP_CACHE}/samba-dc/templates"
USERS="${SYNCGAP_SAMBA_USERS:-1500}"
SEED="${SYNCGAP_SAMBA_SEED:-1}"
FRESH="${SYNCGAP_SAMBA_NO_CACHE:-}"
LDIFS=()
if [ -n "${SYNCGAP_SAMBA_LDIF:-}" ]; then read -r -a LDIFS <<<"${SYNCGAP_SAMBA_LDIF}"; fi

log() { printf '[samba-dc] %s\n' "$*" >&2; }
die() {
  printf '[samba-dc] error: %s\n' "$*" >&2
  exit 1
}
now_ms() { date +%s%3N; }
since() { # start_ms -> "1.234 s"
  local d=$(($(now_ms) - $1))
  printf '%d.%03d s' $((d / 1000)) $((d % 1000))
}

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

parse_opts() {
  while [ $# -gt 0 ]; do
    case "$1" in
    --users) USERS="$2"; shift 2 ;;
    --seed) SEED="$2"; shift 2 ;;
    --ldif) LDIFS+=("$2"); shift 2 ;;
    --fresh) FRESH=1; shift ;;
    --dir) RUN_DIR="$2"; shift 2 ;;
    --clean) CLEAN=1; shift ;;
    *) die "unknown option $1 (see: $0 help)" ;;
    esac
  done
  case "$USERS" in '' | *[!0-9]*) die "--users wants a number, got '$USERS'" ;; esac
}

# --- install ---------------------------------------------------------------------------------------------------

have_samba() {
  command -v samba >/dev/null 2>&1 && command -v samba-tool >/dev/null 2>&1 && command -v ldbadd >/dev/null 2>&1 &&
    command -v ldbsearch >/dev/null 2>&1 && command -v ldapmodify >/dev/null 2>&1 && [ -d /usr/share/samba/setup ] && command -v openssl >/dev/null 2>&1 &&
    command -v iconv >/dev/null 2>&1
}

cmd_install() {
  # SYNCGAP_SAMBA_FORCE_INSTALL=1 runs apt-get even when everything is there (to exercise this path).
  if [ -z "${SYNCGAP_SAMBA_FORCE_INSTALL:-}" ] && have_samba; then return 0; fi
  [ "$(id -u)" = 0 ] || die "Samba is not installed and installing it needs root: apt-get install ${PACKAGES[*]} openssl"
  command -v apt-get >/dev/null 2>&1 || die "no apt-get: install ${PACKAGES[*]} (Samba 4.15+) and openssl yourself"
  local t0
  t0=$(now_ms)
  log "installing ${PACKAGES[*]} (apt-get update first)"
  # The Debian packages try to start their services; keep them down while installing (policy-rc.d exit 101),
  # then put back whatever policy-rc.d was there.
  local prc=/usr/sbin/policy-rc.d saved=""
  if [ -e "$prc" ]; then saved="$(mktemp)" && cp -a "$prc" "$saved"; fi
  printf '#!/bin/sh\nexit 101\n' >"$prc" && chmod 755 "$prc"
  local rc=0
  {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --no-upgrade "${PACKAGES[@]}" openssl
  } >&2 || rc=$?
  if [ -n "$saved" ]; then mv -f "$saved" "$prc"; else rm -f "$prc"; fi
  [ $rc = 0 ] || die "apt-get install ${PACKAGES[*]} failed (exit $rc)"
  have_samba || die "installed ${PACKAGES[*]} but samba, samba-tool, ldbadd or /usr/share/samba/setup is still missing"
  log "installed $(samba -V) in $(since "$t0")"
}

# --- seed LDIF ---------------------------------------------------------------------------------------------------

ensure_node() {
  if command -v node >/dev/null 2>&1 && node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
    return 0
  fi
  # shellcheck source=/dev/null
  . "$ROOT/scripts/toolchain.sh"
  sg_ensure_node
}

# Writes the seed LDIF(s) to use into $SEED_FILE (one file, concatenated).
prepare_seed() {
  local work="$1"
  SEED_FILE="$work/seed.ldif"
  if [ ${#LDIFS[@]} -gt 0 ]; then
    : >"$SEED_FILE"
    local f
    for f in "${LDIFS[@]}"; do
      [ -r "$f" ] || die "seed LDIF $f not readable"
      # ldb's LDIF reader refuses RFC 2849's optional `version: 1` line
      sed '1{/^version:/d}' "$f" >>"$SEED_FILE"
      printf '\n' >>"$SEED_FILE"
    done
  else
    ensure_node
    [ -f "$ROOT/node_modules/tsx/dist/cli.mjs" ] || die "tsx is missing from node_modules: run npm ci in $ROOT"
    node "$ROOT/node_modules/tsx/dist/cli.mjs" "$ROOT/test/fixtures/ad/generate-ldif.ts" --users "$USERS" --seed "$SEED" \
      --out "$SEED_FILE" >&2 || die "generating the seed LDIF failed"
  fi
}

# --- provision ---------------------------------------------------------------------------------------------------

# write_smb_conf DIR: the configuration for a DC living in DIR. Every path Samba writes to is inside DIR.
write_smb_conf() {
  local d="$1"
  mkdir -p "$d/run/ncalrpc" "$d/cache" "$d/lock" "$d/state" "$d/bind-dns"
  cat >"$d/smb.conf" <<EOF
# Written by scripts/samba-dc.sh: a throwaway AD DC that serves LDAP/LDAPS on ${ADDR} only.
[global]
	netbios name = ${HOST_NAME}
	realm = ${REALM}
	workgroup = ${NETBIOS}
	server role = active directory domain controller
	server services = ldap
	interfaces = ${ADDR}/8
	bind interfaces only = yes
	prefork children = 2
	private dir = ${d}/private
	state directory = ${d}/state
	cache directory = ${d}/cache
	lock directory = ${d}/lock
	pid directory = ${d}/run
	ncalrpc dir = ${d}/run/ncalrpc
	binddns dir = ${d}/bind-dns
	log file = ${d}/log.samba
	logging = file
	log level = ${SYNCGAP_SAMBA_LOG_LEVEL:-1}
	max log size = 10000
	tls enabled = yes
	tls keyfile = ${d}/tls/server.key
	tls certfile = ${d}/tls/server.pem
	tls cafile = ${d}/tls/ca.pem
EOF
}

random_password() { # 24 chars that satisfy AD's complexity rules
  printf '%sAa1!' "$(openssl rand -base64 24 | tr -d '/+=\n' | cut -c1-20)"
}

unicode_pwd_b64() { # AD's unicodePwd: the password in double quotes, UTF-16LE, base64
  printf '"%s"' "$1" | iconv -f UTF-8 -t UTF-16LE | base64 -w0
}

seed_ldif() { # dir file: offline ldbadd into the (stopped) DC's sam.ldb
  local d="$1" f="$2" t0 out part parts
  t0=$(now_ms)
  parts="$(mktemp -d)"
  # In parts of 1000 entries: ldbadd makes one transaction of a file, and inside one the cost of
  # an add grows with the adds before it, on top of what it costs to grow the directory (measured in
  # docs/benchmarks.md, "AD read").
  awk -v n=1000 -v dir="$parts" 'BEGIN { RS = ""; ORS = "\n\n" } { if ((NR - 1) % n == 0) { close(f); f = sprintf("%s/%06d.ldif", dir, (NR - 1) / n) } print > f }' "$f"
  for part in "$parts"/*.ldif; do
    out="$(SMB_CONF_PATH="$d/smb.conf" ldbadd -H "$d/private/sam.ldb" "$part" 2>&1)" || {
      rm -rf "$parts"
      die "ldbadd $f failed: $(printf '%s' "$out" | tail -n 5)"
    }
  done
  rm -rf "$parts"
  log "seeded $(grep -c '^dn:' "$f") entries from $(basename "$f") in $(since "$t0")"
}

build_template() { # key dest
  local key="$1" dest="$2" work t0
  work="$(mktemp -d "${TEMPLATES}/.build-XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  t0=$(now_ms)
  local admin_pw svc_pw
  admin_pw="$(random_password)"
  svc_pw="$(random_password)"
  # provision reads /etc/samba/smb.conf unless told otherwise; an empty file keeps the host's settings out.
  : >"$work/empty.conf"
  if ! samba-tool domain provision --configfile="$work/empty.conf" --targetdir="$work/dc" \
    --realm="$REALM" --domain="$NETBIOS" --host-name="$HOST_NAME" --server-role=dc \
    --domain-sid="$DOMAIN_SID" --dns-backend=NONE --backend-store=mdb --adminpass="$admin_pw" \
    --option="interfaces=${ADDR}/8" --option="bind interfaces only=yes" --option="server services=ldap" \
    --option="log file=$work/dc/log.samba" --option="pid directory=$work/dc/run" \
    --option="ncalrpc dir=$work/dc/run/ncalrpc" --option="lock directory=$work/dc/lock" \
    --option="cache directory=$work/dc/cache" --option="state directory=$work/dc/state" \
    --option="private dir=$work/dc/private" --option="binddns dir=$work/dc/bind-dns" \
    >"$work/provision.log" 2>&1; then
    tail -n 20 "$work/provision.log" >&2
    die "samba-tool domain provision failed (log above)"
  fi
  log "provisioned ${REALM} in $(since "$t0")"
  rm -f "$work/dc/etc/smb.conf"
  write_smb_conf "$work/dc"

  seed_ldif "$work/dc" "$SEED_FILE"
  # The bind account, from stdin so its password never lands in a file other than svc-password.
  local out
  out="$(
    SMB_CONF_PATH="$work/dc/smb.conf" ldbadd -H "$work/dc/private/sam.ldb" 2>&1 <<EOF
dn: OU=Service Accounts,${BASE_DN}
objectClass: organizationalUnit
description: accounts that programs bind with

dn: ${SVC_DN}
objectClass: user
sAMAccountName: ${SVC_SAM}
userPrincipalName: ${SVC_SAM}@${DNS_DOMAIN}
displayName: syncgap reader (read-only)
userAccountControl: 66048
unicodePwd:: $(unicode_pwd_b64 "$svc_pw")
EOF
  )" || die "creating ${SVC_SAM} failed: $out"
  (
    umask 077
    printf '%s' "$admin_pw" >"$work/dc/admin-password"
    printf '%s' "$svc_pw" >"$work/dc/svc-password"
  )
  cp "$SEED_FILE" "$work/dc/seed.ldif"
  printf '%s\n' "$key" >"$work/dc/template-key"
  rm -rf "$work/dc/run" "$work/dc/log.samba"
  mkdir -p "$(dirname "$dest")"
  rm -rf "$dest"
  mv "$work/dc" "$dest"
  rm -rf "$work"
  trap - EXIT
  log "template ready in $(since "$t0"): $dest"
}

# Sets TEMPLATE_KEY and TEMPLATE (the folder holding a provisioned + seeded DC for the seed asked for).
cmd_template() {
  cmd_install
  mkdir -p "$TEMPLATES"
  local work
  work="$(mktemp -d)"
  prepare_seed "$work"
  TEMPLATE_KEY="$({
    # The address is not part of the key: it only appears in smb.conf, which every start writes anew.
    printf 'recipe %s\nsamba %s\n' "$RECIPE_VERSION" "$(samba -V)"
    cat "$SEED_FILE"
  } | sha256sum | cut -c1-16)"
  TEMPLATE="$TEMPLATES/$TEMPLATE_KEY"
  (
    exec 8>"$TEMPLATES/.lock-$TEMPLATE_KEY"
    flock 8
    if [ -n "$FRESH" ] || [ ! -f "$TEMPLATE/template-key" ]; then
      build_template "$TEMPLATE_KEY" "$TEMPLATE"
    else
      log "reusing template $TEMPLATE"
    fi
  )
  rm -rf "$work"
}

# --- TLS ---------------------------------------------------------------------------------------------------------

make_tls() { # dir: a CA and a server certificate whose SAN covers the address, localhost and the DC's name
  local t="$1/tls"
  rm -rf "$t" && mkdir -p "$t"
  (
    umask 077
    cd "$t"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 \
      -subj "/O=syncgap test/CN=syncgap test CA for ${REALM} $(date +%s%N)" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr \
      -subj "/O=syncgap test/CN=${HOST_NAME,,}.${DNS_DOMAIN}" 2>/dev/null
    cat >ext.cnf <<EOF
subjectAltName=DNS:${HOST_NAME,,}.${DNS_DOMAIN},DNS:${DNS_DOMAIN},DNS:localhost,IP:${ADDR}
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
EOF
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 30 \
      -extfile ext.cnf 2>/dev/null
    rm -f server.csr ext.cnf ca.srl
    chmod 600 server.key ca.key
    chmod 644 ca.pem server.pem
  ) || die "openssl could not make the test CA and server certificate"
}

# --- start / stop ------------------------------------------------------------------------------------------------

running_pid() { # prints the PID of the DC serving RUN_DIR when it is alive
  local f="$RUN_DIR/run/samba.pid" pid
  [ -f "$f" ] || return 1
  pid="$(tr -dc '0-9' <"$f")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A recycled PID is not our DC: it must be the samba binary (its title reads "samba: root process").
  case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in */samba) ;; *) return 1 ;; esac
  printf '%s' "$pid"
}

port_open() { (exec 3<>"/dev/tcp/$ADDR/$1") 2>/dev/null; }

print_env() {
  local pid="$1"
  cat <<EOF
export SYNCGAP_SAMBA_URL='ldaps://${ADDR}:636'
export SYNCGAP_SAMBA_LDAP_URL='ldap://${ADDR}:389'
export SYNCGAP_SAMBA_HOST='${ADDR}'
export SYNCGAP_SAMBA_PORT='636'
export SYNCGAP_SAMBA_CA_CERT='${RUN_DIR}/tls/ca.pem'
export SYNCGAP_SAMBA_BASE_DN='${BASE_DN}'
export SYNCGAP_SAMBA_USERS_DN='${USERS_DN}'
export SYNCGAP_SAMBA_BIND_DN='${SVC_DN}'
export SYNCGAP_SAMBA_BIND_UPN='${SVC_SAM}@${DNS_DOMAIN}'
export SYNCGAP_SAMBA_PASSWORD_FILE='${RUN_DIR}/svc-password'
export SYNCGAP_SAMBA_DOMAIN='${DNS_DOMAIN}'
export SYNCGAP_SAMBA_NETBIOS='${NETBIOS}'
export SYNCGAP_SAMBA_DIR='${RUN_DIR}'
export SYNCGAP_SAMBA_SAM_LDB='${RUN_DIR}/private/sam.ldb'
export SYNCGAP_SAMBA_SEED_LDIF='${RUN_DIR}/seed.ldif'
export SYNCGAP_SAMBA_PID='${pid}'
EOF
}

stop_pid() { # pid
  local pid="$1" t0
  t0=$(now_ms)
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "samba (pid $pid) still running after 15 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  # Its workers close the listening sockets a moment after the root process.
  for _ in $(seq 1 50); do
    port_open 636 || break
    sleep 0.1
  done
  log "stopped samba (pid $pid) in $(since "$t0")"
}

cmd_start() {
  cmd_template
  exec 9>"/tmp/syncgap-samba-dc-${ADDR}.lock"
  flock 9
  local pid
  if pid="$(running_pid)"; then
    if [ "$(cat "$RUN_DIR/template-key" 2>/dev/null)" = "$TEMPLATE_KEY" ] && [ -z "$FRESH" ]; then
      log "already running (pid $pid) with the same seed: reusing it"
      print_env "$pid"
      return 0
    fi
    log "running DC (pid $pid) serves another seed: restarting it"
    stop_pid "$pid"
  fi
  if port_open 636 || port_open 389; then
    die "something else listens on ${ADDR}:389 or :636 (Samba's LDAP ports are fixed); stop it, or use another loopback address with SYNCGAP_SAMBA_ADDR=127.0.0.2"
  fi
  local t0
  t0=$(now_ms)
  rm -rf "$RUN_DIR"
  mkdir -p "$(dirname "$RUN_DIR")"
  (
    # shared lock: a concurrent --fresh rebuild of the same template (exclusive lock) waits for the copy
    exec 8>"$TEMPLATES/.lock-$TEMPLATE_KEY"
    flock -s 8
    cp -a "$TEMPLATE" "$RUN_DIR"
  )
  write_smb_conf "$RUN_DIR"
  make_tls "$RUN_DIR"
  log "prepared $RUN_DIR from the template in $(since "$t0")"

  t0=$(now_ms)
  # fd 9 (the start lock) and 8 must not leak into the daemon, or it would hold the lock for its lifetime.
  samba -D -s "$RUN_DIR/smb.conf" 8>&- 9>&- || die "samba -D failed; see $RUN_DIR/log.samba"
  local ok=""
  for _ in $(seq 1 300); do
    if [ -f "$RUN_DIR/run/samba.pid" ] && ! running_pid >/dev/null; then
      tail -n 30 "$RUN_DIR/log.samba" >&2 || true
      die "samba exited while starting; log above ($RUN_DIR/log.samba)"
    fi
    if port_open 636 &&
      openssl s_client -connect "${ADDR}:636" -CAfile "$RUN_DIR/tls/ca.pem" -verify_return_error \
        -verify_ip "$ADDR" </dev/null >/dev/null 2>&1; then
      ok=1
      break
    fi
    sleep 0.1
  done
  [ -n "$ok" ] || {
    tail -n 30 "$RUN_DIR/log.samba" >&2 || true
    die "LDAPS on ${ADDR}:636 did not answer within 30 s; log above"
  }
  pid="$(running_pid)" || die "samba answered but its pid file is missing"
  log "started samba (pid $pid) in $(since "$t0"); LDAPS on ${ADDR}:636"
  print_env "$pid"
}

cmd_stop() {
  exec 9>"/tmp/syncgap-samba-dc-${ADDR}.lock"
  flock 9
  local pid
  if pid="$(running_pid)"; then
    stop_pid "$pid"
  else
    log "not running ($RUN_DIR)"
  fi
  if [ -n "${CLEAN:-}" ]; then rm -rf "$RUN_DIR"; fi
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    log "running (pid $pid) in $RUN_DIR"
    return 0
  fi
  log "not running ($RUN_DIR)"
  return 3
}

cmd_env() {
  local pid
  pid="$(running_pid)" || die "no DC running in $RUN_DIR"
  print_env "$pid"
}

cmd_seed() {
  [ $# -gt 0 ] || die "seed wants LDIF files"
  [ -f "$RUN_DIR/private/sam.ldb" ] || die "no DC in $RUN_DIR: run start first"
  if running_pid >/dev/null; then die "stop the DC first: seeding is offline (ldbadd on sam.ldb)"; fi
  local f
  for f in "$@"; do seed_ldif "$RUN_DIR" "$f"; done
}

main() {
  local cmd="${1:-help}"
  shift || true
  case "$cmd" in
  install) cmd_install ;;
  template)
    parse_opts "$@"
    cmd_template
    printf '%s\n' "$TEMPLATE"
    ;;
  start)
    parse_opts "$@"
    cmd_start
    ;;
  stop)
    parse_opts "$@"
    cmd_stop
    ;;
  status) cmd_status ;;
  env) cmd_env ;;
  seed) cmd_seed "$@" ;;
  help | -h | --help) usage ;;
  *) die "unknown command $cmd (start|stop|status|env|install|template|seed)" ;;
  esac
}

main "$@"
