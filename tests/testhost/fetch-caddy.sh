#!/bin/bash
# fetch-caddy.sh: puts the lab's Caddy (Debian forky's caddy package, 2.11.4: the binary the Caddy
# stand-in image runs) at $TESTHOST_CACHE/tools/caddy, for the core tests' `caddy validate` of every
# Caddy JSON variant. Checked as apt checks it: InRelease signed by the Debian archive key (gpgv),
# Packages.xz by its SHA256 in InRelease, the .deb by its SHA256 in Packages. Cached; FORCE=1 fetches again.
#
#   sudo tests/testhost/fetch-caddy.sh        # prints the binary's path
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=testhost-env.sh
. "$HERE/testhost-env.sh"
log() { printf '[fetch-caddy %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }

TOOLS=$TESTHOST_CACHE/tools
if [ -z "${FORCE:-}" ] && [ -x "$TOOLS/caddy" ]; then echo "$TOOLS/caddy"; exit 0; fi
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
need=()
for pair in curl:curl gpgv:gpgv xz:xz-utils; do command -v "${pair%%:*}" >/dev/null || need+=("${pair##*:}"); done
[ -f "$keyring" ] || need+=(debian-archive-keyring)
if [ "${#need[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "${need[*]} needed: run as root, or install them"
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
mkdir -p "$TOOLS"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dist=$TESTHOST_MIRROR/dists/$TESTHOST_CADDY_SUITE
curl -fsS --retry 3 -o "$work/InRelease" "$dist/InRelease" || die "cannot fetch $dist/InRelease"
gpgv --keyring "$keyring" --output "$work/Release" "$work/InRelease" 2>"$work/gpgv.log" \
  || { cat "$work/gpgv.log" >&2; die "$dist/InRelease is not signed by the Debian archive key"; }
want=$(awk '$3 == "main/binary-amd64/Packages.xz" { print $1 }' "$work/Release" | tail -n 1)
[ -n "$want" ] || die "InRelease lists no main/binary-amd64/Packages.xz"
curl -fsS --retry 3 -o "$work/Packages.xz" "$dist/main/binary-amd64/Packages.xz"
[ "$(sha256sum < "$work/Packages.xz" | cut -d' ' -f1)" = "$want" ] || die "Packages.xz does not match its SHA256 in InRelease"
xz -d "$work/Packages.xz"
read -r version file sha < <(awk '/^Package: /{p = ($2 == "caddy")} p && /^Version: /{v=$2} p && /^Filename: /{f=$2} p && /^SHA256: /{s=$2} /^$/{ if (p && f) { print v, f, s; exit } }' "$work/Packages") \
  || die "$TESTHOST_CADDY_SUITE has no caddy package"
log "caddy $version from $TESTHOST_CADDY_SUITE"
curl -fsS --retry 3 -o "$work/caddy.deb" "$TESTHOST_MIRROR/$file"
[ "$(sha256sum < "$work/caddy.deb" | cut -d' ' -f1)" = "$sha" ] || die "$file does not match its SHA256 in Packages"
dpkg-deb -x "$work/caddy.deb" "$work/root"
install -m 0755 "$work/root/usr/bin/caddy" "$TOOLS/caddy.new"
mv -f "$TOOLS/caddy.new" "$TOOLS/caddy"
"$TOOLS/caddy" version >&2
echo "$TOOLS/caddy"
