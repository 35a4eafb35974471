using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Plan;

/// <summary>
/// The data directory: made (or taken when empty) and marked by the stack, refused otherwise; a
/// purge removes only the stack's subdirectories and marker, and the directory itself only when
/// the stack made it, it is empty and it is not a mount point.
/// </summary>
internal static class DataDirSteps
{
    public const string StepName = "data-dirs";

    public static RemoteStep DataDirectories(StepFactory f, StackSettings st)
    {
        var subs = string.Join(' ', ServiceCatalogue.DataSubdirectories.Select(Sh.Quote));
        var s = Prelude(new Script($"data directory {st.DataDir} for {st.ServiceUser}: made and marked by this stack, or refused; existing data is left as it is"), st)
            .Var("user", st.ServiceUser)
            .Var("records", Ownership.AccountRecords)
            .Line("""
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
                for sub in $subs; do
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
                """.Replace("$subs", subs));

        Script d;
        if (st.RetainDataOnDestroy)
        {
            d = new Script($"keep {st.DataDir} (the step is retained on delete: Pulumi runs nothing)")
                .Var("data", st.DataDir)
                .Line("echo \"ztnet-infra: keeping $data: a new stack reuses it (ztnet:retainDataOnDestroy is true)\"");
        }
        else
        {
            d = Prelude(new Script($"purge {st.DataDir}: the stack's subdirectories and marker; the directory only if the stack made it and nothing else is left"), st);
            d.Line("""
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
                for sub in $subs; do
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
                """.Replace("$subs", subs));
        }
        return f.Make(StepName, $"Data directory {st.DataDir} (made and marked by the stack)", StepAccount.Root, s, delete: d,
            dependsOn: [AccountSteps.AccountStep], retainOnDelete: st.RetainDataOnDestroy);
    }

    private static Script Prelude(Script s, StackSettings st) => s
        .Var("data", st.DataDir)
        .Line($"marker=\"$data\"/{Sh.Quote(Ownership.MarkerName)}")
        .Line(Ownership.ShellHelpers);
}
