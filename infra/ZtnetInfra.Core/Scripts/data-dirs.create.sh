#!/usr/bin/env bash
# data-dirs, create (root): the data directory DATA, root-owned 0750 with the service user's group,
# and marked: made by this stack (under a temporary name, marked, then renamed into place, so DATA
# never exists unmarked), or an existing one taken over (owner and mode set, the ones found kept in
# the marker) when it is empty or its root-owned marker names this stack's service user. Refused
# for a link in the path, an ancestor that someone other than root can write, tmpfs/ramfs/devtmpfs,
# a home directory, a non-empty directory without the marker, or a marker naming another service
# user. Then its subdirectories, owned by the service user; existing data is left as it is. Root
# works from DATA pinned (cd -P, owner checked) with relative names: once DATA is root's and its
# ancestors are closed, only root can change its entries, so no check can be raced. The account's
# record lists DATA, so a purge never orphans its files.
# Inputs: data (ztnet:dataDir), marker_name (the marker file in it), subs (array: the
# subdirectories), user (ztnet:serviceUser), records (the stack's accounts/).
# uses: ownership.sh
: "${data:?}" "${marker_name:?}" "${subs[0]:?}" "${user:?}" "${records:?}"
marker="$data/$marker_name"
group=$(id -gn "$user")
case "$data" in /*/*|/[!/]*) ;; *) refuse "ztnet:dataDir $data must be an absolute path below /" ;; esac
if link=$(link_in_path "$data"); then
  refuse "ztnet:dataDir $data has a symbolic link in its path ($link -> $(readlink "$link")); the stack never writes or removes through a link. Fix: set ztnet:dataDir to the real path (pulumi config set ztnet:dataDir $(readlink -f "$data"))"
fi
probe=$data
while [ ! -e "$probe" ]; do probe=$(dirname "$probe"); done
fstype=$(findmnt -n -o FSTYPE -T "$probe" 2>/dev/null || stat -f -c %T "$probe" 2>/dev/null || echo unknown)
case "$fstype" in
  tmpfs|ramfs|devtmpfs)
    refuse "ztnet:dataDir $data is on $fstype (at $probe), which is emptied at reboot: the database and the ZeroTier identity would be lost. Fix: choose a directory on a disk (pulumi config set ztnet:dataDir /srv/ztnet)" ;;
esac
# A home belongs to its account (and the service account's home goes when it is purged).
home_of=$(getent passwd | awk -F: -v d="$data" '$6 != "" && $6 != "/" && (d == $6 || index(d, $6 "/") == 1) { print $1 " (" $6 ")"; exit }')
if [ -n "$home_of" ]; then
  refuse "ztnet:dataDir $data is in the home directory of the account $home_of. Fix: choose a directory of its own (pulumi config set ztnet:dataDir /srv/ztnet)"
fi
# Root acts only below directories no one else can write: whoever can write an ancestor can swap DATA.
if open=$(open_to_others "$data"); then
  refuse "ztnet:dataDir $data: its ancestor $open is not a root-owned directory closed to group and others, so another user could swap what root works on. Fix: sudo chown root: DIR && sudo chmod go-w DIR for that directory, or choose a ztnet:dataDir below root-owned directories (pulumi config set ztnet:dataDir /srv/ztnet)"
fi
parent=$(dirname "$data")
base=$(basename "$data")
# Missing ancestors are made by root (0755) below ancestors that only root can write.
p=""
IFS=/ read -r -a parts <<< "${parent#/}"
for part in "${parts[@]}"; do
  p="$p/$part"
  if [ ! -e "$p" ]; then mkdir -m 0755 -- "$p"; fi
done
# write_marker ORIGIN [FOUND]: in the pinned directory (root-owned, closed), so the temp file's name
# cannot be taken over by anyone but root; renamed over the marker without following a link.
write_marker() {
  local tmp
  tmp="./$marker_name.new"
  printf '# ztnet-infra: %s holds the data of a ZtnetInfra stack; a purge removes only what this file says the stack made\nservice-user=%s\ndirectory=%s\n' "$data" "$user" "$1" > "$tmp"
  if [ -n "${2:-}" ]; then printf 'found=%s\n' "$2" >> "$tmp"; fi
  chmod 0644 "$tmp"
  mv -fT -- "$tmp" "./$marker_name"
}
# marker_state: "none", "ours", or a refusal; read only while "." is pinned and root's.
marker_state() {
  local owner
  if [ ! -e "./$marker_name" ] && [ ! -L "./$marker_name" ]; then echo none; return; fi
  if [ -L "./$marker_name" ] || [ ! -f "./$marker_name" ] || [ "$(stat -c %u -- "./$marker_name")" != 0 ]; then
    echo "ztnet:dataDir: $marker is not this stack's marker (a link, not a file, or not owned by root). Fix: find out who made it; choose another ztnet:dataDir"; return
  fi
  owner=$(value "./$marker_name" service-user | head -n 1)
  if [ "$owner" != "$user" ]; then
    echo "ztnet:serviceUser is $user, but $data holds the data of the service user $owner ($marker): its files belong to $owner's subordinate ids and $user could not use them. Fix: set ztnet:serviceUser back to $owner; or give this stack a new, empty ztnet:dataDir; or move the data by hand (README: Changing ztnet:serviceUser)"; return
  fi
  echo ours
}
nonempty_refusal="ztnet:dataDir $data already exists and holds files this stack did not make (no marker $marker); the stack never takes over a directory it did not make. Fix: choose a new or empty directory (pulumi config set ztnet:dataDir /srv/ztnet); or, only if $data holds an earlier ZtnetInfra deployment's data for $user, give it to root and mark it on the host (safe to paste: only root can then change its entries): sudo chown -h root:$group $data && sudo chmod 0750 $data && sudo rm -f $marker && printf 'service-user=$user\ndirectory=existing\n' | sudo tee $marker >/dev/null"
if [ -L "$data" ]; then refuse "ztnet:dataDir $data is a symbolic link"; fi
if [ ! -e "$data" ]; then
  pin "$parent" || refuse "ztnet:dataDir: $parent changed under the step (not a root-owned closed directory)"
  # DATA appears only marked: made under a temporary name (a leftover of an interrupted run is
  # root's own and goes), marked, then renamed into place.
  new=".$base.ztnet-infra-new"
  if [ -e "./$new" ] || [ -L "./$new" ]; then rm -rf --one-file-system -- "./$new"; fi
  mkdir -m 0700 -- "./$new"
  cd -P -- "./$new" || exit 1
  write_marker created
  chown -h "root:$group" .
  chmod 0750 .
  cd -P .. || exit 1
  mv -T -- "./$new" "./$base"
  pin "$data" || refuse "ztnet:dataDir: $data changed under the step"
  echo "ztnet-infra: created $data"
else
  if [ ! -d "$data" ]; then refuse "ztnet:dataDir $data exists and is not a directory. Fix: choose another path"; fi
  cd -P -- "$data" || exit 1
  # A marker an interrupted run was writing: in a root-owned closed DATA only root names entries.
  if closed_dir . && [ -f "./$marker_name.new" ] && [ ! -L "./$marker_name.new" ]; then rm -f -- "./$marker_name.new"; fi
  found=$(stat -c '%u:%g:%a' .)
  state=$(marker_state)
  # The owner and mode found are recorded (in the account's root-owned record) before the
  # take-over changes them: a run killed between the two leaves them for the next run to mark.
  rec="$records/$user"
  if [ "$state" = none ] && [ -f "$rec" ] && [ ! -L "$rec" ]; then
    recorded=$(awk -v d="$data" 'index($0, "data-found=") == 1 && substr($0, index($0, " ") + 1) == d { v = substr($0, 12, index($0, " ") - 12) } END { print v }' "$rec")
    if [[ $recorded =~ ^[0-9]+:[0-9]+:[0-7]+$ ]]; then found=$recorded; fi
  fi
  # Checked before the take-over (its owner could still change it) and again after (then no one can).
  case "$state" in
    ours) ;;
    none) if [ -n "$(ls -A .)" ]; then refuse "$nonempty_refusal"; fi ;;
    *) refuse "$state" ;;
  esac
  if ! closed_dir . || [ "$(stat -c %G .)" != "$group" ] || [ "$(stat -c %a .)" != 750 ]; then
    if [ "$state" = none ] && [ -f "$rec" ] && [ ! -L "$rec" ]; then printf 'data-found=%s %s\n' "$found" "$data" >> "$rec"; fi
    chown -h "root:$group" .
    chmod 0750 .
    again=$(marker_state)
    if [ "$again" != "$state" ] || { [ "$again" = none ] && [ -n "$(ls -A .)" ]; }; then
      # Changed between the checks and the take-over: given back as found, and refused.
      chown -h "${found%:*}" .
      chmod "${found##*:}" .
      case "$again" in ours|none) refuse "$nonempty_refusal" ;; *) refuse "$again" ;; esac
    fi
    echo "ztnet-infra: $data is now root's (root:$group 0750; found $found): only root can change its entries"
  fi
  pin . || refuse "ztnet:dataDir: $data is not root-owned and closed after the take-over"
  if [ "$state" = ours ]; then
    echo "ztnet-infra: $data is this stack's data directory (for $user)"
  else
    # Empty and not ours (a prepared mount point, say): used, never removed; its owner and mode go back on purge.
    write_marker existing "$found"
  fi
  # Marked now: the record of what was found has done its work.
  if [ -f "$rec" ] && [ ! -L "$rec" ] && grep -q '^data-found=' "$rec"; then
    tmp="$rec.ztnet-infra-new"
    awk -v d="$data" '!(index($0, "data-found=") == 1 && substr($0, index($0, " ") + 1) == d)' "$rec" > "$tmp"
    chmod 0644 "$tmp"
    mv -fT -- "$tmp" "$rec"
  fi
  if [ "$state" != ours ]; then
    echo "ztnet-infra: using the empty directory $data (it stays when the stack is purged)"
  fi
fi
# "." is DATA, root's and closed: relative names cannot be swapped between a check and the action.
for sub in "${subs[@]}"; do
  d="$data/$sub"
  # Made under a temporary name and renamed into place, so a subdirectory never stands there root's;
  # a leftover of an interrupted run is root's own (only root can name entries here) and goes.
  new_sub=".$sub.ztnet-infra-new"
  if [ -e "./$new_sub" ] || [ -L "./$new_sub" ]; then rm -rf --one-file-system -- "./$new_sub"; fi
  if [ -L "./$sub" ]; then refuse "ztnet:dataDir: $d is a symbolic link; the stack never writes or removes through a link. Fix: replace it with a real directory, or choose another ztnet:dataDir"; fi
  if [ ! -e "./$sub" ]; then
    mkdir -m 0700 -- "./$new_sub"
    chown -h "$user:$group" -- "./$new_sub"
    mv -T -- "./$new_sub" "./$sub"
    echo "ztnet-infra: created $d"
  elif [ ! -d "./$sub" ]; then
    refuse "ztnet:dataDir: $d exists and is not a directory. Fix: move it away, or choose another ztnet:dataDir"
  fi
done
# The account's record lists its data, so that a purge of the account never orphans files.
if [ -f "$records/$user" ] && ! grep -qxF "data=$data" "$records/$user"; then
  printf 'data=%s\n' "$data" >> "$records/$user"
fi
