#!/usr/bin/env bash
# backups, delete (root): disables the backup timers and removes exactly the files and
# directories the record lists (the program, the units, the repository's secrets), then the
# record. The archives in DATA/backups and their list stay: they are data (a purge of the data
# directory removes them with it), and the restic repository is never touched.
# Inputs: files_record, unit_dir.
: "${files_record:?}" "${unit_dir:?}"
if [ -L "$files_record" ]; then echo "ztnet-infra: $files_record is a symbolic link: nothing was removed" >&2; exit 1; fi
if [ ! -f "$files_record" ]; then echo "ztnet-infra: no record of backup files ($files_record): nothing to remove"; exit 0; fi
mapfile -t listed < "$files_record"
for p in "${listed[@]}"; do
  case "$p" in "$unit_dir"/*.timer) systemctl disable --now "${p##*/}" 2> /dev/null || true ;; esac
done
# Files first, then directories (deepest first); a directory that is not empty stays.
for p in "${listed[@]}"; do
  if [ -f "$p" ] && [ ! -L "$p" ]; then rm -f -- "$p"; fi
done
while IFS= read -r p; do
  if [ -d "$p" ] && [ ! -L "$p" ]; then rmdir -- "$p" 2> /dev/null || echo "ztnet-infra: $p is not empty: left in place"; fi
done < <(printf '%s\n' "${listed[@]}" | LC_ALL=C sort -r)
systemctl daemon-reload
rm -f -- "$files_record"
echo "ztnet-infra: the backup timers, units and program are removed; the archives in DATA/backups stay"
