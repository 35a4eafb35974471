#!/usr/bin/env bash
# restore-inbox, delete (root): the archive the stack sent (its one name) and INBOX, once empty.
# CopyToRemote leaves what it copied on the host (pulumi-command v1.2.1 has no delete for it), so
# this step takes it away; anything else someone put there stays, and INBOX with it.
# Inputs: inbox, upload (the archive's name in it).
# uses: ownership.sh
: "${inbox:?}" "${upload:?}"
state=$(dirname "$inbox")
name=$(basename "$inbox")
if [ ! -d "$state" ] || link_in_path "$state" > /dev/null || ! pin "$state"; then echo "ztnet-infra: $inbox: nothing to remove"; exit 0; fi
if [ -d "./$name" ] && [ ! -L "./$name" ]; then
  rm -f -- "./$name/$upload"
  if rmdir -- "./$name" 2> /dev/null; then echo "ztnet-infra: removed $inbox"; else echo "ztnet-infra: $inbox holds files the stack did not send: left as it is" >&2; fi
else
  echo "ztnet-infra: $inbox: nothing to remove"
fi
