#!/bin/sh
# Installs what berth needs on a Debian machine, idempotently: the Debian
# packages the engine runs (runc, conmon, CNI plugins, iptables, busybox-static,
# tini...), then Node 24 and the npm dependencies from the committed lockfile,
# then builds. Usage: scripts/ensure-deps.sh [--test]  (--test adds test-only packages)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

engine_pkgs="runc conmon containernetworking-plugins iptables nftables iproute2 busybox-static tini catatonit kmod procps ca-certificates"
test_pkgs="docker-registry skopeo tmux openssl curl apache2-utils"

want="$engine_pkgs"
[ "${1:-}" = "--test" ] && want="$want $test_pkgs"

missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "berth: installing Debian packages:$missing" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # docker-registry's postinst starts a registry on :5000; tests start their own.
  apt-get install -y -qq --no-install-recommends $missing >/dev/null
  if [ -x /usr/bin/docker-registry ] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now docker-registry >/dev/null 2>&1 || true
  fi
  pkill -x docker-registry 2>/dev/null || true
fi

# npm dependencies (including Node 24 itself, as the `node` package) from the lockfile.
stamp=node_modules/.berth-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "berth: installing npm dependencies" >&2
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi

node_modules/node/bin/node --version | grep -q '^v24\.' || { echo "berth: Node 24 missing from node_modules" >&2; exit 1; }

# Build (TypeScript → dist/). dist/ is not wiped: a running berthd loads
# modules from it lazily.
node_modules/.bin/tsc -p tsconfig.json
