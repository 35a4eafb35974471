#!/bin/bash
# testhost-bench.sh: timings of the deployment on the test host VM (tests/testhost).
#
#   sudo bench/testhost-bench.sh                 # uses the cached image when there is one
#   sudo BENCH_COLD=1 bench/testhost-bench.sh    # rebuilds the image first (cold build time)
#   sudo BENCH_QUICK=1 bench/testhost-bench.sh   # the parallel run only
#
# Prints: image build seconds (cold, or "cached"), boot seconds (to SSH + systemd up), the fresh
# apply's seconds and remote commands in the engine's parallel mode and one step at a time (each
# on a freshly booted VM), no-op apply seconds and remote commands, single-setting apply (the
# Caddy image) seconds and remote commands, and ZTNet's downtime during that Caddy-only change
# (HTTPS probes through Caddy from outside the VM every 250 ms; whether the ZTNet container
# itself restarted), each step's time, and how busy the guest's CPUs were during the fresh apply
# (near 100 %: the apply is bound by CPU, and running more at once cannot shorten it). Software
# emulation (TCG) makes every number here much larger than on KVM.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
TH=$REPO/tests/testhost
# shellcheck source-path=SCRIPTDIR source=../tests/testhost/testhost-env.sh
. "$TH/testhost-env.sh"
[ "$(id -u)" -eq 0 ] || { echo "run as root (the image build needs it): sudo $0" >&2; exit 1; }

t0=$(date +%s)
if [ -n "${BENCH_COLD:-}" ]; then FORCE=1 "$TH/build-image.sh"; build="$(( $(date +%s) - t0 )) s (forced rebuild)"; else
  "$TH/build-image.sh"; build="$(( $(date +%s) - t0 )) s (cache hit when ~0; BENCH_COLD=1 rebuilds)"; fi

# One measuring run on a freshly booted VM. $1: the executor's parallelism (1: one step at a
# time; empty: the engine's default, as `pulumi up`), $2: the run's name.
measure() {
  local out=$TESTHOST_RUN/bench-$2.txt t0
  "$TH/vm.sh" stop
  t0=$(date +%s)
  "$TH/vm.sh" start
  echo "$(( $(date +%s) - t0 ))" > "$TESTHOST_RUN/bench-$2-boot"
  eval "$("$TH/vm.sh" env)"
  rm -f "$out"
  TESTHOST_LOG_DIR=$TESTHOST_RUN/bench-logs-$2 BENCH_OUT=$out ZTNET_TESTHOST_PARALLEL=$1 \
    dotnet test "$REPO/tests/ZtnetInfra.HostTests" --artifacts-path "$TESTHOST_RUN/artifacts" \
    --filter 'Category=Bench' --logger 'console;verbosity=minimal' >"$TESTHOST_RUN/bench-dotnet-$2.txt" 2>&1 \
    || { tail -40 "$TESTHOST_RUN/bench-dotnet-$2.txt" >&2; echo "bench: the measuring run ($2) failed" >&2; exit 1; }
}
mkdir -p "$TESTHOST_RUN"
trap '"$TH/vm.sh" stop' EXIT
measure "" parallel
if [ -z "${BENCH_QUICK:-}" ]; then measure 1 sequential; fi

get() { sed -n "s/^$2=//p" "$TESTHOST_RUN/bench-$1.txt" 2>/dev/null || true; }
cat <<EOF
test host benchmark ($(nproc) cores, accel $(cat "$TESTHOST_RUN/accel"), $(date -u +%Y-%m-%dT%H:%MZ))
  image build                    ${build}
  boot to SSH + systemd          $(cat "$TESTHOST_RUN/bench-parallel-boot") s
  fresh apply, parallel          $(get parallel fresh_apply_seconds) s, $(get parallel fresh_apply_remote_commands) remote commands (the engine's default degree)
  guest CPUs busy, fresh apply   $(get parallel fresh_apply_guest_cpu_busy_percent) % ($(get parallel fresh_apply_guest_cpu_seconds) CPU-seconds of the guest's $(get parallel fresh_apply_seconds) s x its CPUs)
  fresh apply, one at a time     $(get sequential fresh_apply_seconds) s, $(get sequential fresh_apply_remote_commands) remote commands (empty with BENCH_QUICK=1)
  no-op apply                    $(get parallel noop_apply_seconds) s, $(get parallel noop_apply_remote_commands) remote commands
  single setting (Caddy image)   $(get parallel caddy_image_apply_seconds) s, $(get parallel caddy_image_apply_remote_commands) remote commands
  ZTNet downtime, Caddy change   $(get parallel https_outage_during_caddy_change_seconds) s through Caddy ($(get parallel https_probes_failed)/$(get parallel https_probes) probes failed); ZTNet container restarted: $(get parallel ztnet_container_restarted)
EOF
# Each step's own command time (seconds, in the order the steps finished), so that a regression
# shows where it happened. Steps that run at once overlap: they do not add up to the total.
steps() { get "$1" "$2" | tr ' ' '\n' | awk -F: 'NF == 2 { printf "    %-28s %6s s\n", $1, $2 }'; }
echo "  fresh apply, parallel: each step"
steps parallel fresh_apply_steps
if [ -z "${BENCH_QUICK:-}" ]; then echo "  fresh apply, one at a time: each step"; steps sequential fresh_apply_steps; fi
echo "  single setting (Caddy image): each step"
steps parallel caddy_image_apply_steps
