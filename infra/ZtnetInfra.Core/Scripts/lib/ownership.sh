#!/usr/bin/env bash
# Library: the helpers the ownership steps share (service-account, service-user, data-dirs).
#   refuse MESSAGE...    prints "ztnet-infra: MESSAGE" on stderr and fails the step
#   link_in_path PATH    prints the first symbolic link on the way to PATH (itself included), if any
#   value FILE KEY       prints every value of the KEY= lines of a record, one a line
#   open_to_others PATH  prints the first of PATH's ancestors ("/" included, PATH itself not) that is
#                        not a root-owned directory closed to group and others, with why; fails if none
#   pin DIR              cd -P into DIR and checks that "." is a root-owned directory that no group or
#                        other can write: from then on its entries change only by root's hand
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
# Mode bits 022 (group or other may write) on a directory let that party swap its entries.
closed_dir() {
  local info uid mode type
  info=$(stat -c '%u %a %F' -- "$1") || return 1
  read -r uid mode type <<< "$info"
  [ "$uid" = 0 ] && [ "$type" = directory ] && [ $((8#$mode & 8#022)) = 0 ]
}
open_to_others() {
  local p="" part
  local -a parts
  IFS=/ read -r -a parts <<< "${1#/}"
  if ! closed_dir /; then printf '/ (%s)\n' "$(stat -c 'owner %U, mode %a' /)"; return 0; fi
  for part in "${parts[@]:0:${#parts[@]}-1}"; do
    p="$p/$part"
    [ -e "$p" ] || return 1
    if ! closed_dir "$p"; then printf '%s (%s)\n' "$p" "$(stat -c '%F, owner %U, mode %a' -- "$p")"; return 0; fi
  done
  return 1
}
pin() {
  cd -P -- "$1" || return 1
  closed_dir .
}
