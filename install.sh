#!/bin/sh
# README command 1: install berth on this machine and run its main job.
#   ./install.sh              install (idempotent), start berthd, run a greeting container
#   ./install.sh --uninstall  stop berthd and remove what was installed (keeps /var/lib/berth)
#   ./install.sh --uninstall --purge   ... and remove the data root too
set -eu
root=$(cd "$(dirname "$0")" && pwd)
cd "$root"

SOCK=/run/berth/berth.sock
PIDFILE=/run/berth/berthd.pid
LOG=/var/log/berthd.log
UNIT=/etc/systemd/system/berthd.service

have_systemd() { [ -d /run/systemd/system ]; }

daemon_alive() {
  [ -S "$SOCK" ] && curl -fsS --max-time 2 --unix-socket "$SOCK" http://berth/_ping >/dev/null 2>&1
}

stop_daemon() {
  if have_systemd && [ -f "$UNIT" ]; then
    systemctl stop berthd 2>/dev/null || true
  fi
  if [ -f "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE")
    if kill "$pid" 2>/dev/null; then
      i=0
      while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    fi
  fi
}

if [ "${1:-}" = "--uninstall" ]; then
  stop_daemon
  if have_systemd && [ -f "$UNIT" ]; then
    systemctl disable berthd 2>/dev/null || true
    rm -f "$UNIT"
    systemctl daemon-reload || true
  fi
  rm -f /usr/local/bin/berth /usr/local/bin/berthd
  # The default bridge and the firewall table go too, unless containers still
  # run under conmon (they outlive berthd and keep using them).
  if ! pgrep -f 'conmon .*--exit-dir /run/berth' >/dev/null 2>&1; then
    ip link del berth0 2>/dev/null || true
    nft delete table inet berth 2>/dev/null || true
  fi
  if [ "${2:-}" = "--purge" ]; then
    rm -rf /var/lib/berth /etc/berth
  fi
  echo "berth uninstalled$([ "${2:-}" = "--purge" ] && echo ', data root removed' || echo ' (data root /var/lib/berth kept; --purge removes it)')"
  exit 0
fi

# 1. Packages, Node 24, npm dependencies, build.
scripts/ensure-deps.sh

# 2. Commands on PATH, the socket group, the config directory.
ln -sf "$root/bin/berth" /usr/local/bin/berth
ln -sf "$root/bin/berthd" /usr/local/bin/berthd
getent group berth >/dev/null 2>&1 || groupadd --system berth 2>/dev/null || true
mkdir -p /etc/berth

# 3. Start berthd, or restart it when it runs an older build.
start_daemon() {
  if have_systemd; then
    cat > "$UNIT.tmp" <<UNITEOF
[Unit]
Description=berth container engine
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStart=/usr/local/bin/berthd
ExecReload=/bin/kill -HUP \$MAINPID
# Containers are watched by conmon and outlive the daemon (live restore).
KillMode=process
Delegate=yes
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNITEOF
    if ! cmp -s "$UNIT.tmp" "$UNIT" 2>/dev/null; then mv "$UNIT.tmp" "$UNIT"; systemctl daemon-reload; else rm -f "$UNIT.tmp"; fi
    systemctl enable berthd >/dev/null 2>&1 || true
    systemctl restart berthd
  else
    stop_daemon
    mkdir -p /run/berth
    # setsid: the daemon must not die with this shell's session.
    setsid /usr/local/bin/berthd --pidfile "$PIDFILE" --log-file "$LOG" </dev/null >/dev/null 2>&1 &
  fi
  i=0
  until daemon_alive; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then echo "berthd did not start; see $LOG" >&2; tail -20 "$LOG" >&2 2>/dev/null || true; exit 1; fi
    sleep 0.1
  done
  echo "$build_id" > /run/berth/install-build
}

build_id=$(cat package-lock.json $(find dist/src -name '*.js' | sort) | sha256sum | cut -c1-16)
if daemon_alive && [ "$(cat /run/berth/install-build 2>/dev/null)" = "$build_id" ]; then
  echo "berthd is running on unix://$SOCK (up to date)"
else
  start_daemon
  echo "berthd is running on unix://$SOCK"
fi

# 4. The main job: a container from the built-in busybox image (no registry
# is needed: the image is made from the host's busybox-static).
/usr/local/bin/berth version --format 'berth {{.Server.Version}} serving API {{.Server.APIVersion}}'
/usr/local/bin/berth image busybox >/dev/null
/usr/local/bin/berth run --rm busybox echo 'hello from a berth container'
