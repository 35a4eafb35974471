#!/bin/sh
# The test executor's CopyToRemote, run as the SSH login (pulumi/pulumi-command v1.2.1
# provider/pkg/provider/remote/copy.go, sftpCopy and copyFile): into DEST/NAME when DEST is a
# directory; else DEST's parent made when missing (MkdirAll, no mode: 0777 less the umask) and DEST
# created or truncated in place (Create: O_CREAT|O_TRUNC, no mode: a new file 0666 less the umask,
# an existing one keeps its owner and mode). The bytes arrive as base64 on stdin, where the
# provider sends them over SFTP.
# Arguments: DEST (the remote path), NAME (the local file's name).
set -eu
dest=$1
if [ -d "$dest" ]; then
  dest="$dest/$2"
else
  mkdir -p -- "$(dirname -- "$dest")"
fi
base64 -d > "$dest"
