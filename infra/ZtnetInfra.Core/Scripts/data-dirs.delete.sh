#!/usr/bin/env bash
# data-dirs, delete with ztnet:retainDataOnDestroy false (purge, root): removes the stack's
# subdirectories and its marker (links and mount points among them are left, with a line saying
# so); DATA itself only if the stack made it, it is then empty and it is not a mount point; an
# existing DATA the stack took over gets back the owner and mode it was found with. Root works
# from DATA pinned (cd -P; root-owned, closed to group and others, below closed ancestors), with
# relative names: only root can rename or replace DATA's entries, so a subdirectory checked not to
# be a link is still that directory when rm removes it (and rm -rf never follows a link inside it).
# A subdirectory is removed only when everything in it belongs to the service user named in the
# marker or to its subordinate uids (what it and its containers write); one holding anything else
# (a file root or another account put there) is left whole, its first such entries named, and the
# step fails after removing the rest, keeping the marker (and so the account, whose files are in
# that subdirectory too): a `pulumi destroy` after those files are gone finishes the purge.
# Killed at any point, the next run finishes the purge: the marker goes last (DATA the stack made
# goes with it, renamed to the name a leftover of an interrupted create has, which every run
# removes), and the account's record stops listing DATA before that.
# Inputs: data (ztnet:dataDir), marker_name (the marker file in it), subs (array: the subdirectories),
# records (the stack's accounts/).
# uses: ownership.sh
: "${data:?}" "${marker_name:?}" "${subs[0]:?}" "${records:?}"
marker="$data/$marker_name"
if link=$(link_in_path "$data"); then
  echo "ztnet-infra: $data has a symbolic link in its path ($link): nothing removed (the stack never removes through a link)"
  exit 0
fi
if open=$(open_to_others "$data"); then
  echo "ztnet-infra: $data: its ancestor $open is writable by someone other than root: nothing removed (root removes only below directories no one else can change)"
  exit 0
fi
# What an interrupted create left: root's own, in a directory only root can write.
new="$(dirname "$data")/.$(basename "$data").ztnet-infra-new"
if [ -d "$new" ] && [ ! -L "$new" ] && [ "$(stat -c %u -- "$new")" = 0 ]; then rm -rf --one-file-system -- "$new"; fi
if [ ! -e "$data" ]; then echo "ztnet-infra: $data is already gone"; exit 0; fi
if [ ! -d "$data" ] || ! pin "$data"; then
  # A purge killed after giving a taken-over DATA its owner back (chown, then chmod) and before
  # removing the marker: the marker (root's, naming the owner DATA has now) says what is left to do.
  # Nothing read here lets anyone gain: only the mode changes, of a directory its owner could chmod.
  m="$data/$marker_name"
  if [ -d "$data" ] && [ ! -L "$data" ] && [ -f "$m" ] && [ ! -L "$m" ] && [ "$(stat -c %u -- "$m")" = 0 ] \
    && [ "$(value "$m" directory | head -n 1)" = existing ]; then
    found=$(value "$m" found | head -n 1)
    if [[ $found =~ ^[0-9]+:[0-9]+:[0-7]+$ ]] && [ "$(stat -c '%u:%g' -- "$data")" = "${found%:*}" ]; then
      chmod "${found##*:}" -- "$data"
      rm -f -- "$m"
      echo "ztnet-infra: $data has its owner and mode back as found ($found; an earlier purge was interrupted); its marker removed"
      exit 0
    fi
  fi
  echo "ztnet-infra: $data is not a root-owned directory closed to group and others (the create step makes it so): nothing removed"
  exit 0
fi
if [ ! -f "./$marker_name" ] || [ -L "./$marker_name" ] || [ "$(stat -c %u -- "./$marker_name")" != 0 ]; then
  echo "ztnet-infra: $data has no marker of this stack ($marker): nothing removed"
  exit 0
fi
made=$(value "./$marker_name" directory | head -n 1)
found=$(value "./$marker_name" found | head -n 1)
owner=$(value "./$marker_name" service-user | head -n 1)
# The uids whose files the purge may remove: the service user's own and its subordinate ranges
# (/etc/subuid lines naming it or its uid). Without the account, none: every subdirectory stays.
first=()
count=()
if [ -n "$owner" ] && owner_uid=$(id -u -- "$owner" 2>/dev/null); then
  first+=("$owner_uid")
  count+=(1)
  while IFS=: read -r who start n; do
    if { [ "$who" = "$owner" ] || [ "$who" = "$owner_uid" ]; } && [[ $start =~ ^[0-9]+$ && $n =~ ^[0-9]+$ ]]; then
      first+=("$start")
      count+=("$n")
    fi
  done < <(cat /etc/subuid 2>/dev/null)
fi
# foreign DIR: prints the first three entries below DIR (names made printable) whose owner is none
# of those uids, and the number of them; fails if there is none.
foreign() {
  local entry uid name i ours n=0
  while IFS= read -r -d '' entry; do
    uid=${entry%%/*}
    name=${entry#*/}
    ours=no
    for i in "${!first[@]}"; do
      if [ "$uid" -ge "${first[$i]}" ] && [ "$uid" -lt $((first[i] + count[i])) ]; then ours=yes; break; fi
    done
    if [ "$ours" = yes ]; then continue; fi
    n=$((n + 1))
    if [ "$n" -le 3 ]; then printf '  %s (uid %s)\n' "$(printf '%s' "${name:-.}" | LC_ALL=C tr -c '[:print:]' '?')" "$uid"; fi
  done < <(find "$1" -xdev -printf '%U/%P\0')
  if [ "$n" -gt 3 ]; then printf '  and %s more\n' "$((n - 3))"; fi
  [ "$n" -gt 0 ]
}
kept_foreign=()
for sub in "${subs[@]}"; do
  # Relative to the pinned DATA; "shown" is only for the messages.
  d="./$sub"
  shown="$data/$sub"
  # A subdirectory an interrupted create was making (only root names entries here).
  if [ -e "./.$sub.ztnet-infra-new" ] || [ -L "./.$sub.ztnet-infra-new" ]; then rm -rf --one-file-system -- "./.$sub.ztnet-infra-new"; fi
  if [ -L "$d" ]; then
    echo "ztnet-infra: $shown is a symbolic link the stack did not make: left as it is"
  elif mountpoint -q -- "$d"; then
    echo "ztnet-infra: $shown is a mount point: left as it is"
  elif [ -d "$d" ] && others=$(foreign "$d"); then
    printf 'ztnet-infra: kept %s: it holds files neither %s nor its containers wrote:\n%s\n' "$shown" "${owner:-the service user}" "$others" >&2
    kept_foreign+=("$shown")
  elif [ -d "$d" ]; then
    if rm -rf --one-file-system -- "$d"; then
      echo "ztnet-infra: removed $shown"
    else
      echo "ztnet-infra: warning: could not remove all of $shown (a mount inside it?): the rest is left" >&2
    fi
  fi
done
if [ "${#kept_foreign[@]}" -gt 0 ]; then
  refuse "ztnet:retainDataOnDestroy is false, but ${kept_foreign[*]} holds files this stack did not write (named above): the purge removes only what the stack and its containers wrote, so it stopped there, keeping $data, its marker and the account $owner. Fix: move those files away and run pulumi destroy again; or keep the data: pulumi config set ztnet:retainDataOnDestroy true, pulumi up, then pulumi destroy"
fi
# The account's record no longer lists DATA (a kept one holds none of the account's files now).
rec="$records/$owner"
if [ -n "$owner" ] && [ -f "$rec" ] && [ ! -L "$rec" ] && grep -qxF "data=$data" "$rec"; then
  tmp="$rec.ztnet-infra-new"
  grep -vxF "data=$data" "$rec" > "$tmp" || true
  chmod 0644 "$tmp"
  mv -fT -- "$tmp" "$rec"
fi
if [ "$made" = created ] && ! mountpoint -q -- . && [ "$(ls -A .)" = "$marker_name" ]; then
  # Only the marker left: DATA goes whole, by one rename to the leftover name, then removed.
  pin "$(dirname "$data")" || { echo "ztnet-infra: $(dirname "$data") changed under the step: $data left" >&2; exit 1; }
  mv -T -- "./$(basename "$data")" "./$(basename "$new")"
  rm -rf --one-file-system -- "./$(basename "$new")"
  echo "ztnet-infra: removed $data (ztnet:retainDataOnDestroy is false)"
  exit 0
fi
if mountpoint -q -- .; then
  echo "ztnet-infra: kept $data: it is a mount point (only the stack's files in it were removed)"
elif [ "$made" != created ]; then
  echo "ztnet-infra: kept $data: it existed before this stack"
else
  echo "ztnet-infra: kept $data: it holds files this stack did not write"
fi
# An adopted DATA gets its owner and mode back before the marker goes (a rerun after the marker
# would find nothing of the stack's; one before it, a DATA not root's: it then only removes the marker).
if [ "$made" != created ] && [[ $found =~ ^[0-9]+:[0-9]+:[0-7]+$ ]]; then
  chown -h "${found%:*}" .
  chmod "${found##*:}" .
  echo "ztnet-infra: $data has its owner and mode back as found ($found)"
fi
rm -f -- "./$marker_name"
