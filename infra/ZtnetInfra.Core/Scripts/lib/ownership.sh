#!/usr/bin/env bash
# Library: the helpers the ownership steps share (service-account, service-user, data-dirs).
#   refuse MESSAGE...    prints "ztnet-infra: MESSAGE" on stderr and fails the step
#   link_in_path PATH    prints the first symbolic link on the way to PATH (itself included), if any
#   value FILE KEY       prints every value of the KEY= lines of a record, one a line
refuse() { printf 'ztnet-infra: %s\n' "$*" >&2; exit 1; }
link_in_path() {
  local p="" part
  local -a parts
  IFS=/ read -r -a parts <<< "${1#/}"
  for part in "${parts[@]}"; do
    p="$p/$part"
    if [ -L "$p" ]; then printf '%s\n' "$p"; return 0; fi
    [ -e "$p" ] || return 1
  done
  return 1
}
value() { awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2) }' "$1"; }
