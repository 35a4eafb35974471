#!/usr/bin/env bash
# unprivileged-ports, delete (root): removes the setting and puts back the value the create found
# (its record); without a record (a create of an older version) the kernel default comes back
# unless another file sets it.
# Inputs: file (the sysctl.d file the create wrote), record (the value found, written by the create).
: "${file:?}" "${record:?}"
key=net.ipv4.ip_unprivileged_port_start
had_file=no
if [ -f "$file" ]; then had_file=yes; fi
rm -f "$file"
if [ -f "$record" ] && [ ! -L "$record" ]; then
  found=$(sed -n 's/^found=//p' "$record" | head -n 1)
  if [[ $found =~ ^[0-9]+$ ]]; then
    sysctl -q -w "$key=$found"
    echo "ztnet-infra: unprivileged ports start at $found again, as found before the stack"
  else
    echo "ztnet-infra: warning: $record holds no value found (found=...): $key left at $(sysctl -n "$key")" >&2
  fi
  rm -f -- "$record"
elif [ "$had_file" = yes ]; then
  sysctl -q -w "$key=1024"
  sysctl -q --system >/dev/null
  echo "ztnet-infra: no record of the value found: $key is the kernel default (1024) unless a sysctl.d file sets it"
fi
