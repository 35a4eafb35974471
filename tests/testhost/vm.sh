#!/bin/bash
# vm.sh: boot, reach and stop the test host built by build-image.sh.
#
#   tests/testhost/vm.sh start          fresh overlay over base.raw, boot, wait for SSH + systemd
#   tests/testhost/vm.sh ssh [CMD...]   as $TESTHOST_USER, host key pinned
#   tests/testhost/vm.sh stop           kill qemu, drop the overlay (the base image is untouched)
#   tests/testhost/vm.sh status | wait-ssh [SECONDS] | env
#
# The guest has no outbound network (slirp restrict=on); forwarded to 127.0.0.1:
# $TESTHOST_SSH_PORT -> 22, $TESTHOST_HTTP_PORT -> 80, $TESTHOST_HTTPS_PORT -> 443.
# KVM is used only when it can run a stock kernel; else TCG (slow: plan for minutes).
# TESTHOST_ACCEL=auto|kvm|tcg, TESTHOST_BOOT_TIMEOUT=300 (seconds).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=testhost-env.sh
. "$HERE/testhost-env.sh"

OUT=$TESTHOST_OUT
RUN=$TESTHOST_RUN
ACCEL=${TESTHOST_ACCEL:-auto}
BOOT_TIMEOUT=${TESTHOST_BOOT_TIMEOUT:-300}

log() { printf '[vm %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

ssh_opts() {
  printf '%s\n' -F /dev/null -i "$OUT/id_ed25519" -p "$TESTHOST_SSH_PORT" \
    -o UserKnownHostsFile="$RUN/known_hosts" -o GlobalKnownHostsFile=/dev/null \
    -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes -o BatchMode=yes \
    -o ConnectTimeout=10 -o ServerAliveInterval=15 -o LogLevel=ERROR
}
# shellcheck disable=SC2029 # the command is meant for the guest
guest() { local o; mapfile -t o < <(ssh_opts); ssh "${o[@]}" "$TESTHOST_USER@127.0.0.1" "$@"; }

# Alive and not a zombie (an exited qemu whose parent has not reaped it yet).
alive() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat")" != Z ]; }
running() { [ -f "$RUN/qemu.pid" ] && alive "$(cat "$RUN/qemu.pid")"; }

kvm_usable() {
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
  # A paravirtual /dev/kvm (kvm_pvm) cannot run a stock kernel.
  [ ! -d /sys/module/kvm_pvm ] || { log "/dev/kvm is PVM: not usable for a stock kernel"; return 1; }
  local rc=0
  timeout 3 qemu-system-x86_64 -enable-kvm -cpu host,-arch-capabilities -m 64 -nodefaults \
    -display none -no-reboot -S </dev/null >/dev/null 2>&1 || rc=$?
  [ "$rc" -eq 124 ]
}

wait_ssh() {
  local deadline=$(( $(date +%s) + $1 ))
  until guest true 2>/dev/null; do
    if ! running; then log "qemu is gone"; tail -40 "$RUN/console.log" >&2 || true; return 1; fi
    if [ "$(date +%s)" -ge "$deadline" ]; then log "no SSH within $1 s"; tail -40 "$RUN/console.log" >&2 || true; return 1; fi
    sleep 2
  done
  # SSH answers before boot is over: wait for systemd (running, or degraded with a reason).
  local state
  state=$(guest 'sudo -n systemctl is-system-running --wait' 2>/dev/null || true)
  if [ "$state" != running ]; then
    log "guest systemd is '$state':"
    guest 'sudo -n systemctl --failed --no-legend --no-pager' >&2 || true
  fi
}

start() {
  if running; then log "already running (pid $(cat "$RUN/qemu.pid"))"; return 0; fi
  [ -f "$OUT/base.raw" ] || { log "no image in $OUT: run build-image.sh (as root) first"; return 1; }
  mkdir -p "$RUN"
  local accel=(-accel "tcg,thread=multi,tb-size=512" -cpu max)
  case $ACCEL in
    kvm) accel=(-enable-kvm -cpu "host,-arch-capabilities") ;;
    tcg) ;;
    auto) if kvm_usable; then accel=(-enable-kvm -cpu "host,-arch-capabilities"); else log "KVM not usable: TCG (software emulation, slow)"; fi ;;
    *) log "TESTHOST_ACCEL must be auto, kvm or tcg"; return 2 ;;
  esac
  rm -f "$RUN/overlay.qcow2" "$RUN/console.log" "$RUN/qemu.pid"
  case ${accel[0]} in -enable-kvm) echo kvm ;; *) echo tcg ;; esac > "$RUN/accel"
  qemu-img create -q -f qcow2 -F raw -b "$OUT/base.raw" "$RUN/overlay.qcow2"
  echo "[127.0.0.1]:$TESTHOST_SSH_PORT $(cat "$OUT/host_ed25519.pub")" > "$RUN/known_hosts"
  local t0; t0=$(date +%s)
  setsid qemu-system-x86_64 "${accel[@]}" -machine q35 -m "$TESTHOST_MEM" -smp "$TESTHOST_CPUS" \
    -kernel "$OUT/vmlinuz" -initrd "$OUT/initrd.img" \
    -append "root=LABEL=testhost-root rw console=ttyS0 quiet systemd.show_status=0 net.ifnames=1" \
    -drive file="$RUN/overlay.qcow2",if=virtio,format=qcow2,discard=unmap,cache=unsafe \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$TESTHOST_SSH_PORT-:22,hostfwd=tcp:127.0.0.1:$TESTHOST_HTTP_PORT-:80,hostfwd=tcp:127.0.0.1:$TESTHOST_HTTPS_PORT-:443" \
    -device virtio-net-pci,netdev=n0 -device virtio-rng-pci \
    -display none -monitor none -serial file:"$RUN/console.log" \
    -pidfile "$RUN/qemu.pid" </dev/null >"$RUN/qemu.log" 2>&1 &
  local qpid=$! i
  for i in $(seq 50); do [ -s "$RUN/qemu.pid" ] && break; alive "$qpid" || break; sleep 0.1; done
  if ! alive "$qpid"; then log "qemu did not start (loop $i):"; cat "$RUN/qemu.log" >&2; return 1; fi
  log "qemu pid $(cat "$RUN/qemu.pid") (${accel[*]}); waiting for SSH on 127.0.0.1:$TESTHOST_SSH_PORT"
  wait_ssh "$BOOT_TIMEOUT"
  log "up in $(( $(date +%s) - t0 )) s"
  echo "$(( $(date +%s) - t0 ))" > "$RUN/boot-seconds"
}

stop() {
  if running; then
    local pid; pid=$(cat "$RUN/qemu.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 40); do alive "$pid" || break; sleep 0.25; done
    if alive "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  fi
  rm -f "$RUN/qemu.pid" "$RUN/overlay.qcow2"
}

cmd=${1:-}
shift || true
case $cmd in
  start) start ;;
  stop) stop ;;
  status) if running; then echo "running (pid $(cat "$RUN/qemu.pid"))"; else echo stopped; exit 1; fi ;;
  ssh) guest "$@" ;;
  wait-ssh) wait_ssh "${1:-$BOOT_TIMEOUT}" ;;
  env)
    printf 'export TESTHOST_SSH_PORT=%q TESTHOST_HTTP_PORT=%q TESTHOST_HTTPS_PORT=%q TESTHOST_LOGIN=%q\n' \
      "$TESTHOST_SSH_PORT" "$TESTHOST_HTTP_PORT" "$TESTHOST_HTTPS_PORT" "$TESTHOST_LOGIN"
    printf 'export TESTHOST_KEY=%q TESTHOST_HOST_KEY=%q TESTHOST_IMAGES_LIST=%q\n' \
      "$OUT/id_ed25519" "$(cat "$OUT/host_ed25519.pub")" "$OUT/images.list" ;;
  *) echo "usage: $0 start|stop|status|ssh [CMD...]|wait-ssh [SECONDS]|env" >&2; exit 2 ;;
esac
