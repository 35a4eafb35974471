#!/bin/bash
# testhost-bench.sh: timings of the deployment on the test host VM (tests/testhost).
#
#   sudo bench/testhost-bench.sh            # uses the cached image when there is one
#   sudo BENCH_COLD=1 bench/testhost-bench.sh   # rebuilds the image first (cold build time)
#
# Prints: image build seconds (cold, or "cached"), boot seconds (to SSH + systemd up), fresh apply
# seconds and remote commands, no-op apply seconds and remote commands, single-setting apply
# (the Caddy image) seconds and remote commands, and ZTNet's downtime during that Caddy-only
# change (HTTPS probes through Caddy from outside the VM every 250 ms; whether the ZTNet container
# itself restarted). Software emulation (TCG) makes every number here much larger than on KVM.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
TH=$REPO/tests/testhost
# shellcheck source-path=SCRIPTDIR source=../tests/testhost/testhost-env.sh
. "$TH/testhost-env.sh"
[ "$(id -u)" -eq 0 ] || { echo "run as root (the image build needs it): sudo $0" >&2; exit 1; }

t0=$(date +%s)
if [ -n "${BENCH_COLD:-}" ]; then FORCE=1 "$TH/build-image.sh"; build="$(( $(date +%s) - t0 )) s (forced rebuild)"; else
  "$TH/build-image.sh"; build="$(( $(date +%s) - t0 )) s (cache hit when ~0; BENCH_COLD=1 rebuilds)"; fi

"$TH/vm.sh" stop
trap '"$TH/vm.sh" stop' EXIT
t0=$(date +%s)
"$TH/vm.sh" start
boot=$(( $(date +%s) - t0 ))
eval "$("$TH/vm.sh" env)"

out=$TESTHOST_RUN/bench.txt
rm -f "$out"
export TESTHOST_LOG_DIR=$TESTHOST_RUN/bench-logs BENCH_OUT=$out
dotnet test "$REPO/tests/ZtnetInfra.HostTests" --artifacts-path "$TESTHOST_RUN/artifacts" \
  --filter 'Category=Bench' --logger 'console;verbosity=minimal' >"$TESTHOST_RUN/bench-dotnet.txt" 2>&1 \
  || { tail -40 "$TESTHOST_RUN/bench-dotnet.txt" >&2; echo "bench: the measuring run failed" >&2; exit 1; }

get() { sed -n "s/^$1=//p" "$out"; }
cat <<EOF
test host benchmark ($(nproc) cores, accel $(cat "$TESTHOST_RUN/accel"), $(date -u +%Y-%m-%dT%H:%MZ))
  image build                    ${build}
  boot to SSH + systemd          ${boot} s
  fresh apply                    $(get fresh_apply_seconds) s, $(get fresh_apply_remote_commands) remote commands
  no-op apply                    $(get noop_apply_seconds) s, $(get noop_apply_remote_commands) remote commands
  single setting (Caddy image)   $(get caddy_image_apply_seconds) s, $(get caddy_image_apply_remote_commands) remote commands ($(get caddy_image_apply_steps))
  ZTNet downtime, Caddy change   $(get https_outage_during_caddy_change_seconds) s through Caddy ($(get https_probes_failed)/$(get https_probes) probes failed); ZTNet container restarted: $(get ztnet_container_restarted)
EOF
