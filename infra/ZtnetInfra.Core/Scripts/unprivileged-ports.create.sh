#!/usr/bin/env bash
# unprivileged-ports, create (root): lets rootless pasta publish ports from the lowest published
# one, persisted in a sysctl.d file; the running value is lowered only when it is higher.
# Inputs: file (the sysctl.d file), want (the lowest published port).
: "${file:?}" "${want:?}"
tmp=$(mktemp "$file.XXXXXX")
printf '# written by ztnet-infra: rootless podman publishes the ZTNet ports\nnet.ipv4.ip_unprivileged_port_start = %s\n' "$want" > "$tmp"
chmod 0644 "$tmp"
mv -f "$tmp" "$file"
if [ "$(sysctl -n net.ipv4.ip_unprivileged_port_start)" -gt "$want" ]; then
  sysctl -q -w "net.ipv4.ip_unprivileged_port_start=$want"
fi
echo "ztnet-infra: unprivileged ports start at $(sysctl -n net.ipv4.ip_unprivileged_port_start)"
