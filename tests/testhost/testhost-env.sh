# shellcheck shell=bash
# Settings shared by the test host scripts (sourced, not run). Every value can be overridden
# from the environment.

# Where the built image and its pieces are cached (the image build needs root).
TESTHOST_CACHE=${TESTHOST_CACHE:-/var/cache/ztnet-testhost}
# The Debian suite of the VM (its systemd and podman) and of the ZTNet and ZeroTier stand-ins:
# trixie (Podman 5.4, systemd 257) or forky (Podman 5.8, systemd 262). Each suite has its own
# build under $TESTHOST_CACHE/$TESTHOST_SUITE, so both can be cached side by side.
TESTHOST_SUITE=${TESTHOST_SUITE:-trixie}
# The PostgreSQL image always comes from bookworm (the only suite with 15.x, the default image's
# major) with its security updates; Caddy's package always from forky (2.11.4, installed into
# the $TESTHOST_SUITE base: it needs nothing newer).
TESTHOST_PG_SUITE=${TESTHOST_PG_SUITE:-bookworm}
TESTHOST_CADDY_SUITE=${TESTHOST_CADDY_SUITE:-forky}
TESTHOST_MIRROR=${TESTHOST_MIRROR:-http://deb.debian.org/debian}
TESTHOST_SECURITY_MIRROR=${TESTHOST_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
# Built artefacts: base.raw, vmlinuz, initrd.img, id_ed25519 (login key), host_ed25519.pub (pinned).
TESTHOST_OUT=${TESTHOST_OUT:-$TESTHOST_CACHE/$TESTHOST_SUITE/out}
# A running VM: overlay disk, console log, pid file, known_hosts. One VM at a time (the ports are
# fixed), so this is shared by the suites: vm.sh stop stops whichever runs.
TESTHOST_RUN=${TESTHOST_RUN:-$TESTHOST_CACHE/run}
# The sudo-capable login (NOPASSWD, key only) the deployment uses.
TESTHOST_USER=${TESTHOST_USER:-deploy}
# Who the deployment logs in as (ztnet:sshUser): the sudo user, or root (the same key works for both).
TESTHOST_LOGIN=${TESTHOST_LOGIN:-$TESTHOST_USER}
# Ports on 127.0.0.1 forwarded to the guest's 22, 80 and 443.
TESTHOST_SSH_PORT=${TESTHOST_SSH_PORT:-2222}
TESTHOST_HTTP_PORT=${TESTHOST_HTTP_PORT:-8080}
TESTHOST_HTTPS_PORT=${TESTHOST_HTTPS_PORT:-8443}
TESTHOST_MEM=${TESTHOST_MEM:-3072}
TESTHOST_CPUS=${TESTHOST_CPUS:-2}
# Images served inside the guest by its registry fixture, as fixture=name pairs. The names must
# be the ones the stack settings give (the core's defaults), plus a second Caddy tag for the
# single-setting change and a second PostgreSQL tag for the image change that takes a backup.
TESTHOST_IMAGES=${TESTHOST_IMAGES:-postgres=docker.io/library/postgres:15.19-alpine zerotier=docker.io/zyclonite/zerotier:1.14.2 ztnet=docker.io/sinamics/ztnet:0.8.2 caddy=docker.io/library/caddy:2.11.4-alpine caddy2=docker.io/library/caddy:2.11.4-alpine-testhost2 postgres2=docker.io/library/postgres:15.19-alpine-testhost2 ztnet2=docker.io/sinamics/ztnet:0.8.2-testhost2}
