#!/usr/bin/env bash
# restore-inbox, create (root): the directory the workstation's archive (ztnet:restoreFrom file:)
# is sent into. Pulumi.Command's CopyToRemote writes as the SSH login, over SFTP, with no sudo
# (pulumi-command v1.2.1 provider/pkg/provider/remote/copy.go), so INBOX is that login's: root,
# or the sudo user this step runs for (SUDO_USER). It is 0700, in root's own state directory, so
# only that login (who may become root anyway) and root can put or change a file in it, and no
# one else can read the controller's secret identity on its way.
# Inputs: inbox (in the stack's state directory).
# uses: ownership.sh
: "${inbox:?}"
login=${SUDO_USER:-root}
state=$(dirname "$inbox")
name=$(basename "$inbox")
if link=$(link_in_path "$inbox"); then refuse "ztnet:restoreFrom: $link is a symbolic link on the way to $inbox: remove it"; fi
if open=$(open_to_others "$state"); then refuse "ztnet:restoreFrom: $open, on the way to $inbox, is open to others: sudo chown root: DIR && sudo chmod go-w DIR for it"; fi
install -d -m 0755 -o root -g root "$state"
pin "$state" || refuse "ztnet:restoreFrom: $state is not a root-owned directory closed to others"
if [ -e "./$name" ] && [ ! -d "./$name" ]; then refuse "ztnet:restoreFrom: $inbox exists and is not a directory: remove it"; fi
if [ ! -e "./$name" ]; then mkdir -m 0700 -- "./$name"; fi
chown -h "$login:$(id -gn "$login")" "./$name"
chmod 0700 "./$name"
echo "ztnet-infra: $inbox is ready for the archive from the workstation (owned by the SSH login $login, 0700)"
