#!/usr/bin/env bash
# data-dirs, create (root): the data directory DATA, made by this stack (root-owned, group of the
# service user, 0750) and marked, or an empty existing one marked as used; refused for a link in
# the path, tmpfs/ramfs/devtmpfs, a home directory, a non-empty directory without the marker, or a
# marker naming another service user. Then its subdirectories, owned by the service user; existing
# data is left as it is. The account's record lists DATA, so a purge never orphans its files.
# Inputs: data (ztnet:dataDir), marker_name (the marker file in it), subs (array: the
# subdirectories), user (ztnet:serviceUser), records (the stack's accounts/).
# uses: ownership.sh
: "${data:?}" "${marker_name:?}" "${subs[0]:?}" "${user:?}" "${records:?}"
marker="$data/$marker_name"
group=$(id -gn "$user")
if link=$(link_in_path "$data"); then
  refuse "ztnet:dataDir $data has a symbolic link in its path ($link -> $(readlink "$link")); the stack never writes or removes through a link. Fix: set ztnet:dataDir to the real path (pulumi config set ztnet:dataDir $(readlink -f "$data"))"
fi
probe=$data
while [ ! -e "$probe" ]; do probe=$(dirname "$probe"); done
fstype=$(findmnt -n -o FSTYPE -T "$probe" 2>/dev/null || stat -f -c %T "$probe")
case "$fstype" in
  tmpfs|ramfs|devtmpfs)
    refuse "ztnet:dataDir $data is on $fstype (at $probe), which is emptied at reboot: the database and the ZeroTier identity would be lost. Fix: choose a directory on a disk (pulumi config set ztnet:dataDir /srv/ztnet)" ;;
esac
# A home belongs to its account (and the service account's home goes when it is purged).
home_of=$(getent passwd | awk -F: -v d="$data" '$6 != "" && $6 != "/" && (d == $6 || index(d, $6 "/") == 1) { print $1 " (" $6 ")"; exit }')
if [ -n "$home_of" ]; then
  refuse "ztnet:dataDir $data is in the home directory of the account $home_of. Fix: choose a directory of its own (pulumi config set ztnet:dataDir /srv/ztnet)"
fi
write_marker() {
  local tmp
  tmp=$(mktemp "$marker.XXXXXX")
  printf '# ztnet-infra: %s holds the data of a ZtnetInfra stack; a purge removes only what this file says the stack made\nservice-user=%s\ndirectory=%s\n' "$data" "$user" "$1" > "$tmp"
  chmod 0644 "$tmp"
  mv -f "$tmp" "$marker"
}
if [ -e "$data" ]; then
  if [ ! -d "$data" ]; then refuse "ztnet:dataDir $data exists and is not a directory. Fix: choose another path"; fi
  if [ -e "$marker" ] || [ -L "$marker" ]; then
    if [ -L "$marker" ] || [ ! -f "$marker" ] || [ "$(stat -c %u "$marker")" != 0 ]; then
      refuse "ztnet:dataDir: $marker is not this stack's marker (a link, not a file, or not owned by root). Fix: find out who made it; choose another ztnet:dataDir"
    fi
    owner=$(value "$marker" service-user | head -n 1)
    if [ "$owner" != "$user" ]; then
      refuse "ztnet:serviceUser is $user, but $data holds the data of the service user $owner ($marker): its files belong to $owner's subordinate ids and $user could not use them. Fix: set ztnet:serviceUser back to $owner; or give this stack a new, empty ztnet:dataDir; or move the data by hand (README: Changing ztnet:serviceUser)"
    fi
    echo "ztnet-infra: $data is this stack's data directory (for $user)"
  elif [ -n "$(ls -A "$data")" ]; then
    refuse "ztnet:dataDir $data already exists and holds files this stack did not make (no marker $marker); the stack never takes over a directory it did not make. Fix: choose a new or empty directory (pulumi config set ztnet:dataDir /srv/ztnet); or, only if $data holds an earlier ZtnetInfra deployment's data for $user, mark it on the host: printf 'service-user=$user\ndirectory=existing\n' | sudo tee $marker"
  else
    # Empty and not ours (a prepared mount point, say): used, never removed; its owner and mode stay.
    if ! runuser -u "$user" -- test -x "$data"; then
      refuse "ztnet:dataDir $data exists but $user cannot enter it (owner $(stat -c %U "$data"), mode $(stat -c %a "$data")); the stack does not change a directory it did not make. Fix: sudo chgrp $group $data && sudo chmod g+x $data, or choose a new ztnet:dataDir"
    fi
    write_marker existing
    echo "ztnet-infra: using the empty directory $data (it stays when the stack is purged)"
  fi
else
  mkdir -p -- "$(dirname "$data")"
  # root's, so the service user can neither remove the marker nor swap a subdirectory for a link.
  mkdir -m 0750 -- "$data"
  chown "root:$group" "$data"
  write_marker created
  echo "ztnet-infra: created $data"
fi
for sub in "${subs[@]}"; do
  d="$data/$sub"
  if [ -L "$d" ]; then refuse "ztnet:dataDir: $d is a symbolic link; the stack never writes or removes through a link. Fix: replace it with a real directory, or choose another ztnet:dataDir"; fi
  if [ ! -e "$d" ]; then
    install -d -m 0700 -o "$user" -g "$group" "$d"
    echo "ztnet-infra: created $d"
  elif [ ! -d "$d" ]; then
    refuse "ztnet:dataDir: $d exists and is not a directory. Fix: move it away, or choose another ztnet:dataDir"
  fi
done
# The account's record lists its data, so that a purge of the account never orphans files.
if [ -f "$records/$user" ] && ! grep -qxF "data=$data" "$records/$user"; then
  printf 'data=%s\n' "$data" >> "$records/$user"
fi
