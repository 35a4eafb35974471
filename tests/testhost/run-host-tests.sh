#!/bin/bash
# run-host-tests.sh: the deployment tests against a real (virtual) host, end to end.
#
#   sudo tests/testhost/run-host-tests.sh
#
# Builds the test host image unless cached (build-image.sh; root needed), boots it (vm.sh),
# runs tests/ZtnetInfra.HostTests (executor unit tests, then the scenarios on the VM, in order),
# prints the totals and stops the VM. Exit status: that of `dotnet test`.
# Needs: the .NET SDK of this repository on PATH; apt-get for the rest (installed when missing).
# Logs (executor log, test results, guest journal and console): $TESTHOST_LOG_DIR,
# default $TESTHOST_RUN/logs. TESTHOST_LOGIN=root makes the deployment log in as root instead of
# the sudo user. TESTHOST_SUITE=forky runs it all on a Debian forky guest (Podman 5.8, systemd
# 262) instead of trixie, from its own cached build (README "Suites"). Extra arguments go to
# `dotnet test` (e.g. --filter 'Category=Executor'). TESTHOST_EXTENDED=1 adds the extended suite.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=testhost-env.sh
. "$HERE/testhost-env.sh"

log() { printf '[host-tests %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "run as root (the image build needs it): sudo $0"; exit 1; }
command -v dotnet >/dev/null || { log "dotnet is not on PATH: install the .NET SDK this repository uses"; exit 1; }

T0=$(date +%s)
"$HERE/build-image.sh"
T_BUILD=$(( $(date +%s) - T0 ))

LOGS=${TESTHOST_LOG_DIR:-$TESTHOST_RUN/logs}
rm -rf "$LOGS"
mkdir -p "$LOGS"
export TESTHOST_LOG_DIR=$LOGS

# shellcheck disable=SC2317 # called by the EXIT trap
collect() {
  if "$HERE/vm.sh" status >/dev/null 2>&1; then
    "$HERE/vm.sh" ssh 'sudo -n journalctl -b --no-pager' > "$LOGS/guest-journal.txt" 2>/dev/null || true
  fi
  cp "$TESTHOST_RUN/console.log" "$LOGS/guest-console.txt" 2>/dev/null || true
  "$HERE/vm.sh" stop || true
}
"$HERE/vm.sh" stop
trap collect EXIT
"$HERE/vm.sh" start
T_BOOT=$(( $(date +%s) - T0 - T_BUILD ))
eval "$("$HERE/vm.sh" env)"
# The scenario that recovers onto a new server resets the VM's disk with it.
export TESTHOST_VM="$HERE/vm.sh"

rc=0
# dotnet test takes one --filter: a caller's own (e.g. --filter 'FullyQualifiedName~Destroy') replaces
# the default, which leaves out the benchmark and the extended suite (scenarios marked
# [Trait("Suite", "Extended")], kept out of CI for its 90 minutes). TESTHOST_EXTENDED=1 runs the
# extended suite too, every scenario in its order on one VM.
filter=(--filter 'Category!=Bench&Suite!=Extended')
[ "${TESTHOST_EXTENDED:-0}" = 1 ] && filter=(--filter 'Category!=Bench')
for a in "$@"; do case $a in --filter|--filter=*) filter=() ;; esac; done
dotnet test "$REPO/tests/ZtnetInfra.HostTests" --artifacts-path "$TESTHOST_RUN/artifacts" \
  "${filter[@]}" --logger 'console;verbosity=normal' \
  --logger 'trx;LogFileName=host-tests.trx' --results-directory "$LOGS" "$@" 2>&1 | tee "$LOGS/dotnet-test.txt" || rc=$?

count() { local n; n=$(sed -n "s/^ *$1: *\([0-9][0-9]*\).*/\1/p" "$LOGS/dotnet-test.txt" | tail -1); echo "${n:-0}"; }
log "image ${T_BUILD}s, boot ${T_BOOT}s, total $(( $(date +%s) - T0 ))s; logs in $LOGS"
echo "host tests: total $(count 'Total tests'), passed $(count Passed), failed $(count Failed), skipped $(count Skipped); dotnet test exit $rc"
exit "$rc"
