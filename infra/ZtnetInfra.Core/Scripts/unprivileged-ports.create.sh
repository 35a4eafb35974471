#!/usr/bin/env bash
# unprivileged-ports, create (root): lets rootless pasta publish ports from the lowest published
# one, persisted in a sysctl.d file; the running value is lowered only when it is higher. The value
# found before the stack first changed it is recorded (root-owned, under the stack's state
# directory) before anything is changed, and never overwritten by a re-run: the delete puts exactly
# that back.
# Inputs: file (the sysctl.d file), content (its text), want (the lowest published port), state
# (the stack's state directory), record (the file that keeps the value found).
: "${file:?}" "${content:?}" "${want:?}" "${state:?}" "${record:?}"
key=net.ipv4.ip_unprivileged_port_start
if [ -L "$state" ] || [ -L "$record" ]; then printf 'ztnet-infra: %s or %s is a symbolic link: the stack keeps its records in a real root-owned directory; remove the link\n' "$state" "$record" >&2; exit 1; fi
install -d -m 0755 -o root -g root "$state"
if [ ! -f "$record" ]; then
  found=$(sysctl -n "$key")
  tmp=$(mktemp "$record.XXXXXX")
  printf '# written by ztnet-infra: %s as found before the stack changed it; the delete step puts it back\nfound=%s\n' "$key" "$found" > "$tmp"
  chmod 0644 "$tmp"
  mv -fT -- "$tmp" "$record"
fi
tmp=$(mktemp "$file.XXXXXX")
printf '%s' "$content" > "$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$file"
if [ "$(sysctl -n "$key")" -gt "$want" ]; then
  sysctl -q -w "$key=$want"
fi
echo "ztnet-infra: unprivileged ports start at $(sysctl -n "$key") (found $(sed -n 's/^found=//p' "$record"), put back on delete)"
