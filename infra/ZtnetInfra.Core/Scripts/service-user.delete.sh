#!/usr/bin/env bash
# service-user, delete (root): linger off for the service user, only if this stack turned it on.
# Inputs: user (ztnet:serviceUser), records (the stack's accounts/).
: "${user:?}" "${records:?}"
if ! id -u "$user" >/dev/null 2>&1; then rm -f "$records/$user.linger"; echo "ztnet-infra: no user $user"; exit 0; fi
if [ -f "$records/$user.linger" ]; then
  loginctl disable-linger "$user" || echo "ztnet-infra: warning: loginctl disable-linger $user failed" >&2
  rm -f "$records/$user.linger"
  echo "ztnet-infra: linger off for $user"
else
  echo "ztnet-infra: linger of $user was not turned on by this stack: left as it is"
fi
