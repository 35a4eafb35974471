#!/usr/bin/env bash
# service-user, create (root): linger for the service user, so that its systemd user manager runs
# without a login; waits for the manager and its D-Bus. Linger that was on before the stack is
# recorded as not the stack's. A pending "podman system migrate" (sub-ids added to an adopted
# account) runs here.
# Inputs: user (ztnet:serviceUser), records (the stack's accounts/).
# uses: ownership.sh
: "${user:?}" "${records:?}"
if ! uid=$(id -u "$user" 2>/dev/null); then refuse "the account $user does not exist (the service-account step creates it)"; fi
# Linger that was on before the stack is not the stack's to turn off.
if [ ! -e "/var/lib/systemd/linger/$user" ]; then touch "$records/$user.linger"; fi
loginctl enable-linger "$user"
for _ in $(seq 1 90); do
  if [ -S "/run/user/$uid/bus" ] && [ -S "/run/user/$uid/systemd/private" ]; then break; fi
  sleep 1
done
if [ ! -S "/run/user/$uid/systemd/private" ]; then
  refuse "the user manager of $user did not start; see: systemctl status user@$uid.service"
fi
if [ ! -S "/run/user/$uid/bus" ]; then
  refuse "no user D-Bus for $user (package dbus-user-session); rootless podman needs it"
fi
if [ -f "$records/$user.migrate" ]; then
  (cd / && runuser -u "$user" -- env HOME="$(getent passwd "$user" | cut -d: -f6)" XDG_RUNTIME_DIR="/run/user/$uid" podman system migrate) || true
  rm -f "$records/$user.migrate"
fi
echo "ztnet-infra: user $user (uid $uid) lingers; its user manager runs"
