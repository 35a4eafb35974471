#!/usr/bin/env bash
# Library: write_file PATH MODE TEXT writes TEXT to PATH atomically (a temp file beside it, renamed
# into place) and sets changed=1 only when the content differs from what PATH held, else
# changed=0, so a re-run with the same text leaves everything as it is. Only a missing directory
# is made: an existing one keeps its mode (DATA/caddy_config is 0700, made by data-dirs).
# shellcheck disable=SC2034 # changed is read by the caller
write_file() {
  local path=$1 mode=$2 text=$3 tmp
  if [ ! -d "$(dirname "$path")" ]; then install -d -m 0755 "$(dirname "$path")"; fi
  tmp=$(mktemp "$path.XXXXXX")
  printf '%s' "$text" > "$tmp"
  chmod "$mode" "$tmp"
  if cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
    changed=0
  else
    mv -f "$tmp" "$path"
    changed=1
  fi
}
