#!/usr/bin/env bash
# unprivileged-ports, delete (root): removes the setting; the kernel default comes back unless
# another file sets it.
# Inputs: file (the sysctl.d file the create wrote).
: "${file:?}"
if [ -f "$file" ]; then
  rm -f "$file"
  sysctl -q -w net.ipv4.ip_unprivileged_port_start=1024
  sysctl -q --system >/dev/null
fi
