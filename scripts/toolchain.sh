# shellcheck shell=bash
# syncgap's toolchain: Node.js 22+ and the pinned Pulumi CLI, found or installed, then put first on PATH.
#
# Source it (`. scripts/toolchain.sh`) from the project's scripts; it is idempotent and fast when warm.
# What it guarantees afterwards:
#   - `node` is 22.12 or newer. A machine with an older node gets the pinned Node 22 from the npm registry
#     (package node-linux-<arch>, which carries the official binary) in the cache folder.
#   - `pulumi`, `pulumi-language-nodejs` and `pulumi-resource-pulumi-nodejs` (the dynamic-provider shim) are on
#     PATH at the pinned version or newer. Order: a `pulumi` already on PATH; the cached build; the official
#     installer where its download site answers; otherwise a build from Go modules (scripts/pulumi-build/).
#   - The CLI never reaches the internet on its own: no update check, no plugin downloads, no Pulumi Cloud.
#
# Cache: ${SYNCGAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/syncgap}, keyed by version.

SYNCGAP_NODE_VERSION="22.23.3"
SYNCGAP_PULUMI_VERSION="3.274.1"

_sg_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SYNCGAP_CACHE="${SYNCGAP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/syncgap}"
export SYNCGAP_CACHE

_sg_log() { printf '[toolchain] %s\n' "$*" >&2; }
_sg_die() {
  printf '[toolchain] error: %s\n' "$*" >&2
  return 1
}

# version_ge A B: true when dotted version A >= B.
_sg_version_ge() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

_sg_arch() {
  case "$(uname -m)" in
  x86_64 | amd64) echo x64 ;;
  aarch64 | arm64) echo arm64 ;;
  *) uname -m ;;
  esac
}

# npm reads its global npmrc under its own prefix: an install into another prefix, and npm run by the Node installed
# here, would lose the machine's settings, such as the cafile of a TLS-inspecting proxy. Carried as npm_config_*
# variables, they reach every npm this toolchain runs (https://docs.npmjs.com/cli/configuring-npm/npmrc).
_sg_keep_npm_settings() {
  command -v npm >/dev/null 2>&1 || return 0
  [ -n "${npm_config_cafile:-}" ] && return 0
  local ca
  ca="$(npm config get cafile 2>/dev/null)"
  if [ -n "$ca" ] && [ "$ca" != null ] && [ "$ca" != undefined ] && [ -r "$ca" ]; then export npm_config_cafile="$ca"; fi
}

sg_ensure_node() {
  _sg_keep_npm_settings
  local have=""
  if command -v node >/dev/null 2>&1; then have="$(node -p 'process.versions.node' 2>/dev/null)"; fi
  if [ -n "$have" ] && _sg_version_ge "$have" "22.12.0"; then return 0; fi
  local dir="$SYNCGAP_CACHE/node-$SYNCGAP_NODE_VERSION"
  local pkg="node-linux-$(_sg_arch)"
  local bin="$dir/node_modules/$pkg/bin"
  if [ ! -x "$bin/node" ]; then
    command -v npm >/dev/null 2>&1 || {
      _sg_die "node ${have:-(none)} is older than 22.12 and there is no npm to fetch Node $SYNCGAP_NODE_VERSION; install Node.js 22 or newer"
      return 1
    }
    _sg_log "node ${have:-(none)} is older than 22.12: installing Node $SYNCGAP_NODE_VERSION from the npm registry ($pkg) into $dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "$pkg@$SYNCGAP_NODE_VERSION" >&2 ||
      {
        _sg_die "could not install $pkg@$SYNCGAP_NODE_VERSION from the npm registry; install Node.js 22 or newer yourself"
        return 1
      }
  fi
  export PATH="$bin:$PATH"
  hash -r
}

_sg_pulumi_ok() { # dir-or-empty: checks the three executables and the version
  local p="${1:+$1/}pulumi"
  command -v "$p" >/dev/null 2>&1 || return 1
  local v
  v="$("$p" version 2>/dev/null | sed 's/^v//')"
  [ -n "$v" ] && _sg_version_ge "${v%%-*}" "$SYNCGAP_PULUMI_VERSION" || return 1
  if [ -n "$1" ]; then
    [ -x "$1/pulumi-language-nodejs" ] && [ -x "$1/pulumi-resource-pulumi-nodejs" ]
  else
    command -v pulumi-language-nodejs >/dev/null 2>&1 && command -v pulumi-resource-pulumi-nodejs >/dev/null 2>&1
  fi
}

# The dynamic-provider shim that Pulumi's release tarballs ship (sdk/nodejs/dist/pulumi-resource-pulumi-nodejs).
_sg_write_shim() {
  cat >"$1/pulumi-resource-pulumi-nodejs" <<'SHIM'
#!/bin/sh
PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH=$(node -e "console.log(require.resolve('@pulumi/pulumi/cmd/dynamic-provider'))")
if [ ! -z "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH" ]; then
    node "$PULUMI_DYNAMIC_PROVIDER_SCRIPT_PATH" $@
fi
SHIM
  chmod +x "$1/pulumi-resource-pulumi-nodejs"
}

_sg_try_official_installer() { # dest
  command -v curl >/dev/null 2>&1 || return 1
  curl -fsS --max-time 5 -o /dev/null https://get.pulumi.com/ 2>/dev/null || return 1
  _sg_log "installing Pulumi $SYNCGAP_PULUMI_VERSION with the official installer"
  local tmp
  tmp="$(mktemp -d)"
  curl -fsSL --max-time 60 https://get.pulumi.com/install.sh -o "$tmp/install.sh" &&
    sh "$tmp/install.sh" --version "$SYNCGAP_PULUMI_VERSION" --install-root "$tmp/root" --no-edit-path >&2 &&
    mkdir -p "$1" && cp -a "$tmp/root/bin/." "$1/"
  local rc=$?
  rm -rf "$tmp"
  return $rc
}

_sg_build_pulumi_from_go() { # dest
  command -v go >/dev/null 2>&1 || {
    _sg_die "no Pulumi CLI >= $SYNCGAP_PULUMI_VERSION on PATH, its download site is unreachable and there is no Go toolchain to build it; install Pulumi $SYNCGAP_PULUMI_VERSION (https://www.pulumi.com/docs/install/) or Go 1.26"
    return 1
  }
  local src="$_sg_root/scripts/pulumi-build"
  local work
  work="$(mktemp -d)"
  cp -R "$src/." "$work/"
  local t0=$SECONDS
  _sg_log "building Pulumi $SYNCGAP_PULUMI_VERSION and pulumi-language-nodejs from Go modules (cold: several minutes on 2 cores)"
  local ldflags="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$SYNCGAP_PULUMI_VERSION"
  (
    cd "$work" &&
      GOFLAGS=-mod=mod go build -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$work/bin/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi &&
      GOFLAGS=-mod=mod go build -trimpath -tags osusergo,grpcnotrace -ldflags "$ldflags" -o "$work/bin/pulumi-language-nodejs" ./langhost
  ) >&2 || {
    rm -rf "$work"
    _sg_die "building Pulumi from Go modules failed (see the go output above)"
    return 1
  }
  _sg_write_shim "$work/bin"
  mkdir -p "$1"
  cp -a "$work/bin/." "$1/"
  rm -rf "$work"
  _sg_log "built Pulumi $SYNCGAP_PULUMI_VERSION in $((SECONDS - t0)) s into $1"
}

sg_ensure_pulumi() {
  local dir="$SYNCGAP_CACHE/pulumi-v$SYNCGAP_PULUMI_VERSION/bin"
  if [ -z "${SYNCGAP_PULUMI_FORCE_CACHE:-}" ] && _sg_pulumi_ok ""; then
    :
  elif _sg_pulumi_ok "$dir"; then
    export PATH="$dir:$PATH"
  else
    rm -rf "$dir"
    if [ -z "${SYNCGAP_NO_OFFICIAL_INSTALLER:-}" ] && _sg_try_official_installer "$dir"; then
      [ -x "$dir/pulumi-resource-pulumi-nodejs" ] || _sg_write_shim "$dir"
    else
      _sg_build_pulumi_from_go "$dir" || return 1
    fi
    _sg_pulumi_ok "$dir" || {
      _sg_die "the Pulumi CLI in $dir does not run or is not version $SYNCGAP_PULUMI_VERSION"
      return 1
    }
    export PATH="$dir:$PATH"
  fi
  hash -r
  # Keep the CLI off the internet and out of the Pulumi Cloud.
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
  export PULUMI_SKIP_CONFIRMATIONS=true
  export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true
}

sg_ensure_npm_deps() {
  local stamp="$_sg_root/node_modules/.syncgap-lock-stamp"
  if [ -f "$stamp" ] && cmp -s "$stamp" "$_sg_root/package-lock.json"; then return 0; fi
  _sg_log "installing npm dependencies (npm ci)"
  (cd "$_sg_root" && npm ci --no-audit --no-fund --loglevel=error) >&2 || {
    _sg_die "npm ci failed"
    return 1
  }
  cp "$_sg_root/package-lock.json" "$stamp"
}

# dist/: the bundles everything runs from (scripts/build.mjs); rebuilt only when a source changed (scripts/bundles.cjs).
sg_build() {
  (cd "$_sg_root" && node -e 'const f = require("./scripts/bundles.cjs").ensureBuilt(process.cwd()); if (f) { console.error(`syncgap: ${f}`); process.exit(1); }') || {
    _sg_die "the build (scripts/build.mjs) failed"
    return 1
  }
}

sg_toolchain() {
  sg_ensure_node && sg_ensure_npm_deps && sg_ensure_pulumi && sg_build
}
