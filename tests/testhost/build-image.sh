#!/bin/bash
# build-image.sh: build (once, then cached) the disposable test host for the deployment tests.
#
#   sudo tests/testhost/build-image.sh                        # trixie VM (the default)
#   sudo env TESTHOST_SUITE=forky tests/testhost/build-image.sh # forky VM (Podman 5.8, systemd 262)
#
# Produces in $TESTHOST_OUT (see testhost-env.sh):
#   base.raw            ext4 root file system of a Debian $TESTHOST_SUITE VM (read-only; each boot
#                       writes to a throw-away overlay): systemd, OpenSSH (keys only), sudo,
#                       polkitd, podman, passt, uidmap, dbus-user-session, curl, python3, restic,
#                       systemd-networkd with wait-online, the registry fixture below, and
#                       Pebble (Debian's pebble, Let's Encrypt's ACME test server) for the
#                       ACME scenarios, with a TLS certificate from a lab root made here
#   pebble-directory-root.pem  that root (the guest has it at /etc/testhost-pebble/directory-root.pem)
#   vmlinuz, initrd.img for qemu -kernel/-initrd
#   id_ed25519[.pub]    login key of $TESTHOST_USER (sudo NOPASSWD) and of root
#   host_ed25519.pub    the guest's SSH host key: the line the tests pin
#   images.list         the image names the guest's registry serves
#
# Images: the guest has no outbound network. The stack's four images are built here from Debian
# packages (PostgreSQL and Caddy real, ZTNet and ZeroTier small stand-ins: images/*/), each FROM a
# debootstrapped base: PostgreSQL 15 from $TESTHOST_PG_SUITE (bookworm, with bookworm-security),
# the others from $TESTHOST_SUITE, Caddy 2.11.4's own package from $TESTHOST_CADDY_SUITE (forky).
# They are saved as one OCI layout and served inside the guest by a read-only registry on
# 127.0.0.1:5000 to which registries.conf sends docker.io. So the plan's own units pull them by their real names, as on a
# real server, and nothing is preloaded into the service user's storage.
#
# Each suite has its own build and cache ($TESTHOST_CACHE/$TESTHOST_SUITE/{out,work}; .debs in
# $TESTHOST_CACHE/debs/SUITE). It is keyed by a digest of this script, the fixtures and the
# settings that shape the image: change any of them and the next run rebuilds. FORCE=1 rebuilds
# anyway. tests/testhost/check-images.sh checks the built images' contracts without a VM.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=testhost-env.sh
. "$HERE/testhost-env.sh"

log() { printf '[build-image %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || die "run as root (debootstrap, chroot and mkfs need it): sudo $0"

OUT=$TESTHOST_OUT
WORK=$TESTHOST_CACHE/$TESTHOST_SUITE/work
DEBS_ROOT=$TESTHOST_CACHE/debs
T0=$(date +%s)

stamp() {
  {
    printf '%s\n' "$TESTHOST_SUITE" "$TESTHOST_PG_SUITE" "$TESTHOST_CADDY_SUITE" "$TESTHOST_MIRROR" \
      "$TESTHOST_SECURITY_MIRROR" "$TESTHOST_USER" "$TESTHOST_IMAGES"
    (cd "$HERE" && find build-image.sh oci-merge.py images guest -type f ! -path '*/__pycache__/*' -print0 | sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -d' ' -f1
}
want=$(stamp)
if [ -z "${FORCE:-}" ] && [ -f "$OUT/.stamp" ] && [ "$(cat "$OUT/.stamp")" = "$want" ]; then
  log "cached image is current ($OUT); FORCE=1 rebuilds"
  exit 0
fi

# ------------------------------------------------------------------ packages of this machine
need=()
for pair in qemu-system-x86_64:qemu-system-x86 qemu-img:qemu-utils debootstrap:debootstrap podman:podman \
            mkfs.ext4:e2fsprogs ssh-keygen:openssh-client ssh:openssh-client python3:python3 openssl:openssl; do
  command -v "${pair%%:*}" >/dev/null || need+=("${pair##*:}")
done
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
if [ "${#need[@]}" -gt 0 ]; then
  log "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

mkdir -p "$OUT" "$WORK" "$DEBS_ROOT"
rm -f "$OUT/.stamp"
ROOTFS=$WORK/vm-rootfs
# podman 4.3 refuses a runroot path longer than 50 characters: a short private one in /run. The
# tmpdir is private too: `system reset` would otherwise empty /run/libpod under any other podman
# running on this machine (a second build, the core tests).
RUNROOT=$(mktemp -d /run/testhost-podman.XXXXXX)
PODMAN=(podman --root "$WORK/storage" --runroot "$RUNROOT" --tmpdir "$RUNROOT/tmp")

unmount_all() {
  local m
  for m in dev/pts dev proc sys; do
    if mountpoint -q "$ROOTFS/$m"; then umount -l "$ROOTFS/$m" || true; fi
  done
}
cleanup() {
  unmount_all
  if [ -d "$WORK/storage" ]; then "${PODMAN[@]}" system reset -f >/dev/null 2>&1 || true; fi
  rm -rf "$WORK/storage" "$RUNROOT"
}
trap cleanup EXIT

# The mirror may serve a snapshot whose Release files are past their Valid-Until (forky's is):
# apt in the images and the VM root must still take them.
no_valid_until() {
  mkdir -p "$1/etc/apt/apt.conf.d"
  echo 'Acquire::Check-Valid-Until "false";' > "$1/etc/apt/apt.conf.d/99-testhost-mirror-snapshot"
}
debootstrap_to() {  # SUITE DIR PACKAGES
  local suite=$1 dir=$2 include=$3 script=/usr/share/debootstrap/scripts/$1
  # An older debootstrap has no script for a newer suite (bookworm's lacks forky): sid's fits.
  [ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid
  rm -rf "$dir"
  mkdir -p "$DEBS_ROOT/$suite"
  debootstrap --variant=minbase --cache-dir="$DEBS_ROOT/$suite" --include="$include" \
    "$suite" "$dir" "$TESTHOST_MIRROR" "$script" >"$WORK/debootstrap-$(basename "$dir").log" 2>&1 \
    || { tail -30 "$WORK/debootstrap-$(basename "$dir").log" >&2; die "debootstrap $suite into $dir failed"; }
}

# ------------------------------------------------------------------ container images
rm -rf "$WORK/ctx" "$WORK/oci" "$WORK/registry"
mkdir -p "$WORK/ctx" "$WORK/oci"
cp -a "$HERE/images/." "$WORK/ctx/"
find "$WORK/ctx" -name __pycache__ -prune -exec rm -rf {} +
"${PODMAN[@]}" system reset -f >/dev/null 2>&1 || true
build() {  # build TAG CONTEXT [--build-arg ...]
  local tag=$1 ctx=$2; shift 2
  "${PODMAN[@]}" build --quiet --isolation chroot --network host --layers=false \
    "$@" -t "$tag" "$ctx" >"$WORK/build-$(basename "$ctx").log" 2>&1 \
    || { tail -30 "$WORK/build-$(basename "$ctx").log" >&2; die "building $tag failed"; }
}
# A trimmed minbase of SUITE as localhost/testhost/base-SUITE (once per suite and build).
base_image() {
  local suite=$1 root=$WORK/ct-$1 ctx=$WORK/ctx/base-$1
  if "${PODMAN[@]}" image exists "localhost/testhost/base-$suite"; then return 0; fi
  log "container base: debootstrap $suite minbase"
  debootstrap_to "$suite" "$root" curl,ca-certificates
  printf 'deb %s %s main\n' "$TESTHOST_MIRROR" "$suite" > "$root/etc/apt/sources.list"
  # bookworm's PostgreSQL 15.x updates are in its security suite (15.20 there, 15.x in bookworm).
  if [ "$suite" = bookworm ]; then
    printf 'deb %s %s-security main\n' "$TESTHOST_SECURITY_MIRROR" "$suite" >> "$root/etc/apt/sources.list"
  fi
  no_valid_until "$root"
  mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
  printf 'path-exclude=/usr/share/doc/*\npath-exclude=/usr/share/man/*\npath-exclude=/usr/share/info/*\npath-exclude=/usr/share/locale/*\npath-include=/usr/share/locale/locale.alias\n' \
    > "$root/etc/dpkg/dpkg.cfg.d/01-testhost-small"
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
    "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* "$root"/var/log/*
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
  : > "$root/etc/resolv.conf"
  cp -a "$WORK/ctx/base" "$ctx"
  tar -C "$root" --numeric-owner -cf "$ctx/rootfs.tar" .
  rm -rf "$root"
  build "localhost/testhost/base-$suite" "$ctx" --build-arg "SUITE=$suite"
  rm -rf "$ctx"
}
merge=()
declare -A built=()
: > "$WORK/images.list"
for pair in $TESTHOST_IMAGES; do
  fixture=${pair%%=*} name=${pair#*=}
  case $fixture in
    postgres2|ztnet2)
      # The same image under a second tag, for an image change of PostgreSQL or ZTNet (it shares every layer).
      first=${built[${fixture%2}]:-}
      [ -n "$first" ] || die "the $fixture fixture must come after ${fixture%2} in TESTHOST_IMAGES"
      "${PODMAN[@]}" tag "$first" "$name"
      log "container images: $name ($fixture: $first under a second tag)"
      "${PODMAN[@]}" save --quiet --format oci-dir -o "$WORK/oci/$fixture" "$name"
      merge+=("$name=$WORK/oci/$fixture")
      echo "$name" >> "$WORK/images.list"
      continue ;;
    postgres) suite=$TESTHOST_PG_SUITE ;;
    caddy|caddy2|zerotier|ztnet) suite=$TESTHOST_SUITE ;;
    *) die "unknown image fixture '$fixture' in TESTHOST_IMAGES" ;;
  esac
  base_image "$suite"
  args=(--build-arg "BASE=localhost/testhost/base-$suite")
  ctx=$fixture
  case $fixture in caddy|caddy2) ctx=caddy; args+=(--build-arg "CADDY_SUITE=$TESTHOST_CADDY_SUITE" --build-arg "MIRROR=$TESTHOST_MIRROR") ;; esac
  if [ "$fixture" = caddy2 ]; then args+=(--build-arg VARIANT=2); fi
  build "$name" "$WORK/ctx/$ctx" "${args[@]}"
  built[$fixture]=$name
  log "container images: $name ($fixture, $suite): $("${PODMAN[@]}" image inspect --format '{{.Size}}' "$name" | numfmt --to=iec)"
  "${PODMAN[@]}" save --quiet --format oci-dir -o "$WORK/oci/$fixture" "$name"
  merge+=("$name=$WORK/oci/$fixture")
  echo "$name" >> "$WORK/images.list"
done
"$HERE/oci-merge.py" "$WORK/registry" "${merge[@]}"
rm -rf "$WORK/oci" "$WORK/ctx"
log "registry layout: $(du -sh "$WORK/registry" | cut -f1)"

# ------------------------------------------------------------------ login key
[ -f "$OUT/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C ztnet-testhost -f "$OUT/id_ed25519"

# ------------------------------------------------------------------ VM root file system
log "VM: debootstrap $TESTHOST_SUITE"
debootstrap_to "$TESTHOST_SUITE" "$ROOTFS" systemd-sysv,udev,dbus,dbus-user-session,libpam-systemd,openssh-server,sudo,iproute2,curl,ca-certificates,procps,kmod,uidmap,passt,netbase,python3-minimal,libpython3-stdlib,restic,pebble
mount -t proc proc "$ROOTFS/proc"
mount -t sysfs sys "$ROOTFS/sys"
mount --bind /dev "$ROOTFS/dev"
mount --bind /dev/pts "$ROOTFS/dev/pts"
no_valid_until "$ROOTFS"
printf '#!/bin/sh\nexit 101\n' > "$ROOTFS/usr/sbin/policy-rc.d"
chmod +x "$ROOTFS/usr/sbin/policy-rc.d"
in_chroot() { chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }
cp -n "$DEBS_ROOT/$TESTHOST_SUITE"/*.deb "$ROOTFS/var/cache/apt/archives/" 2>/dev/null || true
log "VM: kernel, podman (with its recommends), polkitd"
in_chroot apt-get update -qq
in_chroot apt-get install -y -qq --no-install-recommends linux-image-amd64 initramfs-tools zstd >/dev/null
in_chroot apt-get install -y -qq podman polkitd >/dev/null
cp -n "$ROOTFS"/var/cache/apt/archives/*.deb "$DEBS_ROOT/$TESTHOST_SUITE/" 2>/dev/null || true

log "VM: configure"
echo testhost > "$ROOTFS/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 testhost\n::1 localhost ip6-localhost ip6-loopback\n' > "$ROOTFS/etc/hosts"
echo 'LABEL=testhost-root / ext4 rw,discard,errors=remount-ro 0 1' > "$ROOTFS/etc/fstab"
echo 'LANG=C.UTF-8' > "$ROOTFS/etc/default/locale"
mkdir -p "$ROOTFS/etc/systemd/network"
# A default route, as every real server has (slirp's DHCP gives none under restrict=on, and slirp
# drops what would leave): without one, a rootless pod's pasta namespace has no route to
# host.containers.internal (pasta's --map-guest-addr 169.254.1.2), which a real server reaches.
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=ipv4\nGateway=10.0.2.2\n' > "$ROOTFS/etc/systemd/network/10-dhcp.network"
rm -f "$ROOTFS/etc/resolv.conf"
: > "$ROOTFS/etc/resolv.conf"   # no outside network, no DNS
in_chroot systemctl enable systemd-networkd.service ssh.service >/dev/null 2>&1
# network-online.target must be reached (podman units wait for it).
in_chroot systemctl enable systemd-networkd-wait-online.service >/dev/null 2>&1
in_chroot systemctl add-wants multi-user.target network-online.target >/dev/null 2>&1
for t in apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer dpkg-db-backup.timer; do
  in_chroot systemctl mask "$t" >/dev/null 2>&1 || true
done
mkdir -p "$ROOTFS/etc/ssh/sshd_config.d"
printf 'PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUseDNS no\n' \
  > "$ROOTFS/etc/ssh/sshd_config.d/10-testhost.conf"
# The same key also logs in as root, for stacks with ztnet:sshUser root (TESTHOST_LOGIN=root).
install -d -m 0700 "$ROOTFS/root/.ssh"
install -m 0600 "$OUT/id_ed25519.pub" "$ROOTFS/root/.ssh/authorized_keys"
in_chroot useradd --create-home --shell /bin/bash "$TESTHOST_USER"
echo "$TESTHOST_USER ALL=(ALL) NOPASSWD:ALL" > "$ROOTFS/etc/sudoers.d/90-$TESTHOST_USER"
chmod 0440 "$ROOTFS/etc/sudoers.d/90-$TESTHOST_USER"
uid=$(chroot "$ROOTFS" id -u "$TESTHOST_USER")
gid=$(chroot "$ROOTFS" id -g "$TESTHOST_USER")
install -d -m 0700 -o "$uid" -g "$gid" "$ROOTFS/home/$TESTHOST_USER/.ssh"
install -m 0600 -o "$uid" -g "$gid" "$OUT/id_ed25519.pub" "$ROOTFS/home/$TESTHOST_USER/.ssh/authorized_keys"
# Fresh host keys for this image (the chroot's were made at package install, keep those).
[ -f "$ROOTFS/etc/ssh/ssh_host_ed25519_key.pub" ] || in_chroot ssh-keygen -A >/dev/null

log "VM: registry fixture with $(wc -l < "$WORK/images.list") images"
rm -rf "$ROOTFS/var/lib/testhost-registry"
mv "$WORK/registry" "$ROOTFS/var/lib/testhost-registry"
chmod -R a+rX "$ROOTFS/var/lib/testhost-registry"
install -D -m 0755 "$HERE/guest/testhost-registry.py" "$ROOTFS/usr/local/lib/testhost/testhost-registry.py"
install -D -m 0644 "$HERE/guest/testhost-registry.service" "$ROOTFS/etc/systemd/system/testhost-registry.service"
install -D -m 0644 "$HERE/guest/50-testhost-registry.conf" "$ROOTFS/etc/containers/registries.conf.d/50-testhost-registry.conf"
in_chroot systemctl enable testhost-registry.service >/dev/null 2>&1

log "VM: Pebble ACME fixture"
# The guest resolves the test domain to itself: Pebble's VA validates through the published ports.
printf '127.0.0.1 ztnet.test\n' >> "$ROOTFS/etc/hosts"
# Pebble's directory certificate: a lab root (the stack's ztnet:acmeCaRoot) and a leaf for the
# names a container of the pod, or this host, uses to reach it.
pki=$WORK/pebble-pki
rm -rf "$pki"; mkdir -p "$pki"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj '/CN=ztnet-testhost ACME directory root' \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
  -keyout "$pki/root.key" -out "$pki/root.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=host.containers.internal' \
  -keyout "$pki/directory.key" -out "$pki/directory.csr" 2>/dev/null
printf 'subjectAltName=DNS:host.containers.internal,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n' > "$pki/ext"
openssl x509 -req -in "$pki/directory.csr" -CA "$pki/root.pem" -CAkey "$pki/root.key" -CAcreateserial -days 3650 \
  -extfile "$pki/ext" -out "$pki/directory.pem" 2>/dev/null
install -d -m 0755 "$ROOTFS/etc/testhost-pebble"
install -m 0644 "$pki/root.pem" "$ROOTFS/etc/testhost-pebble/directory-root.pem"
install -m 0644 "$pki/directory.pem" "$ROOTFS/etc/testhost-pebble/directory.pem"
# Read by Pebble's DynamicUser; a throw-away key of a lab that has no outside network.
install -m 0644 "$pki/directory.key" "$ROOTFS/etc/testhost-pebble/directory.key"
install -m 0644 "$HERE/guest/pebble-default.json" "$HERE/guest/pebble-short.json" "$ROOTFS/etc/testhost-pebble/"
install -m 0644 "$HERE/guest/testhost-pebble@.service" "$ROOTFS/etc/systemd/system/testhost-pebble@.service"
in_chroot systemctl enable testhost-pebble@default.service testhost-pebble@short.service >/dev/null 2>&1
cp "$pki/root.pem" "$OUT/pebble-directory-root.pem"
rm -rf "$pki"

cp -L "$ROOTFS/vmlinuz" "$OUT/vmlinuz"
cp -L "$ROOTFS/initrd.img" "$OUT/initrd.img"
cut -d' ' -f1,2 "$ROOTFS/etc/ssh/ssh_host_ed25519_key.pub" > "$OUT/host_ed25519.pub"
cp "$WORK/images.list" "$OUT/images.list"
in_chroot apt-get clean
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS/usr/sbin/policy-rc.d"
unmount_all

log "VM: mkfs.ext4 -d -> base.raw"
rm -f "$OUT/base.raw"
mkfs.ext4 -q -F -L testhost-root -d "$ROOTFS" "$OUT/base.raw" 8G
chmod 0444 "$OUT/base.raw"
rm -rf "$ROOTFS"
echo "$want" > "$OUT/.stamp"
log "done in $(( $(date +%s) - T0 )) s: $OUT"
