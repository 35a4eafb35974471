#!/usr/bin/env bash
# service-account, delete with ztnet:retainDataOnDestroy false (purge, root): removes the account,
# its home and its subordinate ids, only if this stack's record says the stack created it and no
# data directory of it is left; an adopted account is never deleted. Either way only the sub-id
# ranges the record lists are removed: lines that were there before stay.
# Inputs: user (ztnet:serviceUser), records (the stack's accounts/), marker_name (the data
# directory's marker file).
# uses: ownership.sh
: "${user:?}" "${records:?}" "${marker_name:?}"
record="$records/$user"
if [ ! -f "$record" ] || [ -L "$record" ]; then
  echo "ztnet-infra: no record $record: this stack did not create an account $user; nothing removed"
  exit 0
fi
if ! uid=$(id -u "$user" 2>/dev/null); then
  rm -f "$record" "$records/$user.migrate"
  echo "ztnet-infra: the account $user is already gone"
  exit 0
fi
if [ "$(value "$record" uid)" != "$uid" ]; then
  echo "ztnet-infra: the account $user (uid $uid) is not the one this stack created ($record): left as it is"
  exit 0
fi
# The files of a kept data directory belong to this account's ids: never orphan them.
while IFS= read -r dir; do
  m="$dir/$marker_name"
  if [ -f "$m" ] && [ ! -L "$m" ] && grep -qxF "service-user=$user" "$m"; then
    echo "ztnet-infra: keeping the account $user: $dir still holds its data (its data-dirs step kept it)"
    exit 0
  fi
done < <(value "$record" data)
# Exactly the ranges the record lists, nothing else that names the account or its uid.
for kind in uid gid; do
  while IFS= read -r range; do
    usermod "--del-sub${kind}s" "$range" "$user" || echo "ztnet-infra: warning: could not remove sub${kind}s $range of $user" >&2
  done < <(value "$record" "sub$kind")
done
if [ "$(value "$record" origin)" = created ]; then
  loginctl terminate-user "$user" 2>/dev/null || true
  for _ in $(seq 1 30); do pgrep -u "$uid" >/dev/null || break; sleep 1; done
  pkill -KILL -u "$uid" 2>/dev/null || true
  # userdel drops every sub-id line of the name: lines the stack did not add are put back as they
  # were. Only for a record that says every range the stack added is listed (subids=recorded): an
  # account created before that had its ranges from useradd itself, unrecorded, and userdel takes them.
  saved=$(mktemp -d /etc/.ztnet-infra-subids.XXXXXX)
  if [ "$(value "$record" subids)" = recorded ]; then
    for kind in uid gid; do if [ -f "/etc/sub$kind" ]; then cp -p -- "/etc/sub$kind" "$saved/sub$kind"; fi; done
  fi
  userdel --remove "$user" 2>/dev/null || userdel "$user"
  for kind in uid gid; do
    if [ -f "$saved/sub$kind" ] && ! cmp -s "$saved/sub$kind" "/etc/sub$kind"; then
      mv -fT -- "$saved/sub$kind" "/etc/sub$kind"
      echo "ztnet-infra: kept the sub${kind}s lines of $user that this stack did not add"
    fi
  done
  rm -rf -- "$saved"
  echo "ztnet-infra: removed the account $user, its home and the subordinate ids the stack added (ztnet:retainDataOnDestroy is false)"
else
  echo "ztnet-infra: keeping the account $user: this stack adopted it and never deletes it; removed only the subordinate ids it added"
fi
rm -f "$record" "$records/$user.migrate"
