#!/usr/bin/env bash
# service-account, create (root): the service user, created by this stack with useradd and
# recorded in a root-owned record, or taken only when the record says it is the stack's; refused
# for an account the stack did not create, a system account, or a home directory that already
# exists. Then its subordinate id ranges, each recorded before usermod adds it. An interrupted run
# is finished by the next: an account made by the stack's useradd (its comment says so) whose
# record says origin=created but has no uid= yet gets its uid recorded; a recorded range that
# usermod never added is added.
# Inputs: user (ztnet:serviceUser), state (the stack's state directory), records (its accounts/).
# uses: ownership.sh
: "${user:?}" "${state:?}" "${records:?}"
record="$records/$user"
for d in "$state" "$records"; do
  if [ -L "$d" ]; then refuse "$d is a symbolic link: the stack keeps its records in a real directory owned by root; remove the link"; fi
done
uid_min=$(awk '$1 == "UID_MIN" { print $2 }' /etc/login.defs 2>/dev/null || true)
uid_min=${uid_min:-1000}
made_by='ZTNet rootless pod'
if uid=$(id -u "$user" 2>/dev/null); then
  if [ ! -f "$record" ] || [ -L "$record" ]; then
    refuse "ztnet:serviceUser: the account $user already exists and this stack did not create it (no record $record); the stack never takes over or deletes an account it did not make. Fix: set a new name (pulumi config set ztnet:serviceUser zt-service); or, only if $user is the service account of an earlier ZtnetInfra deployment here, adopt it on the host: sudo install -d -m 0755 $records && printf 'origin=adopted\nuid=$uid\n' | sudo tee $record (an adopted account is never deleted)"
  fi
  if [ "$uid" -lt "$uid_min" ]; then
    refuse "ztnet:serviceUser: $user is a system account (uid $uid, below UID_MIN $uid_min in /etc/login.defs); the pod needs an ordinary account of its own. Fix: pulumi config set ztnet:serviceUser zt-service"
  fi
  recorded=$(value "$record" uid)
  comment=$(getent passwd "$user" | cut -d: -f5)
  if [ -z "$recorded" ] && [ "$(value "$record" origin)" = created ] && [ "$comment" = "$made_by" ]; then
    # A run killed between useradd and the uid= line: this stack's own account, finished now.
    printf 'uid=%s\n' "$uid" >> "$record"
    recorded=$uid
    echo "ztnet-infra: recorded uid $uid of the account $user (an earlier run was interrupted after useradd)"
  fi
  if [ "$recorded" != "$uid" ]; then
    refuse "ztnet:serviceUser: the account $user has uid $uid, but $record says uid ${recorded:-(none)}: the account was replaced outside this stack. Fix: set another ztnet:serviceUser, or, if this account is the stack's, correct the uid= line in $record"
  fi
  origin=$(value "$record" origin)
  echo "ztnet-infra: account $user (uid $uid, ${origin:-created} by this stack)"
else
  home_base=$(useradd -D | awk -F= '$1 == "HOME" { print $2 }')
  home="${home_base:-/home}/$user"
  if [ -e "$home" ] || [ -L "$home" ]; then
    refuse "ztnet:serviceUser: the home directory $home of the new account $user already exists; the stack would neither own nor be able to remove it. Fix: set another ztnet:serviceUser, or move $home away"
  fi
  # The record comes first: an account the stack made is never left unrecorded.
  install -d -m 0755 -o root -g root "$state" "$records"
  printf '# ztnet-infra: this stack created the account %s; a purge (ztnet:retainDataOnDestroy false) removes it\norigin=created\nsubids=recorded\n' "$user" > "$record.tmp"
  mv -f "$record.tmp" "$record"
  # No automatic sub-id ranges (SUB_*_COUNT=0): the ranges are the stack's, each recorded first.
  if ! useradd --create-home --user-group --shell /usr/sbin/nologin --comment "$made_by" -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$user"; then
    rm -f "$record"
    refuse "ztnet:serviceUser: useradd could not create $user (see above)"
  fi
  uid=$(id -u "$user")
  printf 'uid=%s\n' "$uid" >> "$record"
  origin=created
  echo "ztnet-infra: created account $user (uid $uid)"
fi
for kind in uid gid; do
  file=/etc/sub$kind
  touch "$file"
  # A range recorded by an interrupted run but never added: added now, exactly as recorded.
  while IFS= read -r range; do
    if ! grep -qxF "$user:${range%-*}:$((${range#*-} - ${range%-*} + 1))" "$file"; then
      usermod "--add-sub${kind}s" "$range" "$user"
      echo "ztnet-infra: sub${kind}s $range for $user (recorded by an interrupted run)"
    fi
  done < <(value "$record" "sub$kind")
  if ! grep -q -e "^$user:" -e "^$uid:" "$file"; then
    start=$(awk -F: 'BEGIN { m = 100000 } $2 + $3 > m { m = $2 + $3 } END { print m }' "$file")
    range="$start-$((start + 65535))"
    # Recorded first: the purge removes exactly the recorded ranges.
    printf 'sub%s=%s\n' "$kind" "$range" >> "$record"
    usermod "--add-sub${kind}s" "$range" "$user"
    # podman caches the id mapping of an account it has run for.
    if [ "$origin" = adopted ]; then touch "$records/$user.migrate"; fi
    echo "ztnet-infra: sub${kind}s $range for $user"
  fi
done
