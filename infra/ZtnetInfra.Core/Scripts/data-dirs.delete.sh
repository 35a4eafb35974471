#!/usr/bin/env bash
# data-dirs, delete with ztnet:retainDataOnDestroy false (purge, root): removes the stack's
# subdirectories and its marker (links and mount points among them are left, with a line saying
# so); DATA itself only if the stack made it, it is then empty and it is not a mount point.
# Inputs: data (ztnet:dataDir), marker_name (the marker file in it), subs (array: the subdirectories).
# uses: ownership.sh
: "${data:?}" "${marker_name:?}" "${subs[0]:?}"
marker="$data/$marker_name"
if link=$(link_in_path "$data"); then
  echo "ztnet-infra: $data has a symbolic link in its path ($link): nothing removed (the stack never removes through a link)"
  exit 0
fi
if [ ! -e "$data" ]; then echo "ztnet-infra: $data is already gone"; exit 0; fi
if [ ! -f "$marker" ] || [ -L "$marker" ] || [ "$(stat -c %u "$marker")" != 0 ]; then
  echo "ztnet-infra: $data has no marker of this stack ($marker): nothing removed"
  exit 0
fi
made=$(value "$marker" directory | head -n 1)
for sub in "${subs[@]}"; do
  d="$data/$sub"
  if [ -L "$d" ]; then
    echo "ztnet-infra: $d is a symbolic link the stack did not make: left as it is"
  elif mountpoint -q -- "$d"; then
    echo "ztnet-infra: $d is a mount point: left as it is"
  elif [ -d "$d" ]; then
    if rm -rf --one-file-system -- "$d"; then
      echo "ztnet-infra: removed $d"
    else
      echo "ztnet-infra: warning: could not remove all of $d (a mount inside it?): the rest is left" >&2
    fi
  fi
done
rm -f -- "$marker"
if mountpoint -q -- "$data"; then
  echo "ztnet-infra: kept $data: it is a mount point (only the stack's files in it were removed)"
elif [ "$made" != created ]; then
  echo "ztnet-infra: kept $data: it existed before this stack"
elif [ -n "$(ls -A "$data")" ]; then
  echo "ztnet-infra: kept $data: it holds files this stack did not write"
else
  rmdir -- "$data"
  echo "ztnet-infra: removed $data (ztnet:retainDataOnDestroy is false)"
fi
