using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Plan;

/// <summary>
/// The service account (kept with the data, or purged) and its linger (undone on every destroy):
/// two steps, because Pulumi's RetainOnDelete is per resource.
/// </summary>
internal static class AccountSteps
{
    public const string AccountStep = "service-account";

    /// <summary>Linger and a running user manager: the step every service-user step depends on.</summary>
    public const string LingerStep = "service-user";

    public static RemoteStep ServiceAccount(StepFactory f, StackSettings st)
    {
        var s = Prelude(new Script($"service account {st.ServiceUser}: created and recorded by this stack, or refused; its subordinate ids"), st, record: true, state: true)
            .Line("""
                for d in "$state" "$records"; do
                  if [ -L "$d" ]; then refuse "$d is a symbolic link: the stack keeps its records in a real directory owned by root; remove the link"; fi
                done
                uid_min=$(awk '$1 == "UID_MIN" { print $2 }' /etc/login.defs 2>/dev/null || true)
                uid_min=${uid_min:-1000}
                if uid=$(id -u "$user" 2>/dev/null); then
                  if [ ! -f "$record" ] || [ -L "$record" ]; then
                    refuse "ztnet:serviceUser: the account $user already exists and this stack did not create it (no record $record); the stack never takes over or deletes an account it did not make. Fix: set a new name (pulumi config set ztnet:serviceUser zt-service); or, only if $user is the service account of an earlier ZtnetInfra deployment here, adopt it on the host: sudo install -d -m 0755 $records && printf 'origin=adopted\nuid=$uid\n' | sudo tee $record (an adopted account is never deleted)"
                  fi
                  if [ "$uid" -lt "$uid_min" ]; then
                    refuse "ztnet:serviceUser: $user is a system account (uid $uid, below UID_MIN $uid_min in /etc/login.defs); the pod needs an ordinary account of its own. Fix: pulumi config set ztnet:serviceUser zt-service"
                  fi
                  recorded=$(value "$record" uid)
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
                  printf '# ztnet-infra: this stack created the account %s; a purge (ztnet:retainDataOnDestroy false) removes it\norigin=created\n' "$user" > "$record.tmp"
                  mv -f "$record.tmp" "$record"
                  if ! useradd --create-home --user-group --shell /usr/sbin/nologin --comment 'ZTNet rootless pod' "$user"; then
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
                  if ! grep -q -e "^$user:" -e "^$uid:" "$file"; then
                    start=$(awk -F: 'BEGIN { m = 100000 } $2 + $3 > m { m = $2 + $3 } END { print m }' "$file")
                    range="$start-$((start + 65535))"
                    usermod "--add-sub${kind}s" "$range" "$user"
                    printf 'sub%s=%s\n' "$kind" "$range" >> "$record"
                    # podman caches the id mapping of an account it has run for.
                    if [ "$origin" = adopted ]; then touch "$records/$user.migrate"; fi
                    echo "ztnet-infra: sub${kind}s $range for $user"
                  fi
                done
                """);

        Script d;
        if (st.RetainDataOnDestroy)
        {
            d = new Script($"keep the account {st.ServiceUser}: it owns the kept data (the step is retained on delete: Pulumi runs nothing)")
                .Var("user", st.ServiceUser)
                .Line("echo \"ztnet-infra: keeping the account $user (ztnet:retainDataOnDestroy is true)\"");
        }
        else
        {
            d = Prelude(new Script($"purge: remove {st.ServiceUser}, its home and subordinate ids, only if this stack created it and no data of it is left"), st, record: true);
            d.Var("marker_name", Ownership.MarkerName).Line("""
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
                if [ "$(value "$record" origin)" = created ]; then
                  loginctl terminate-user "$user" 2>/dev/null || true
                  for _ in $(seq 1 30); do pgrep -u "$uid" >/dev/null || break; sleep 1; done
                  pkill -KILL -u "$uid" 2>/dev/null || true
                  userdel --remove "$user" 2>/dev/null || userdel "$user"
                  sed -i -e "/^$user:/d" -e "/^$uid:/d" /etc/subuid /etc/subgid
                  echo "ztnet-infra: removed the account $user, its home and subordinate ids (ztnet:retainDataOnDestroy is false)"
                else
                  for kind in uid gid; do
                    while IFS= read -r range; do
                      usermod "--del-sub${kind}s" "$range" "$user" || echo "ztnet-infra: warning: could not remove sub${kind}s $range of $user" >&2
                    done < <(value "$record" "sub$kind")
                  done
                  echo "ztnet-infra: keeping the account $user: this stack adopted it and never deletes it; removed only the subordinate ids it added"
                fi
                rm -f "$record" "$records/$user.migrate"
                """);
        }
        return f.Make(AccountStep, $"Service account {st.ServiceUser} (made and recorded by the stack), subuid/subgid", StepAccount.Root, s, delete: d,
            dependsOn: ["host-packages"], retainOnDelete: st.RetainDataOnDestroy);
    }

    public static RemoteStep Linger(StepFactory f, StackSettings st)
    {
        var s = Prelude(new Script($"linger for {st.ServiceUser}: its systemd user manager runs without a login"), st)
            .Line("""
                if ! uid=$(id -u "$user" 2>/dev/null); then refuse "the account $user does not exist (the service-account step creates it)"; fi
                # Linger that was on before the stack is not the stack's to turn off.
                if [ ! -e "/var/lib/systemd/linger/$user" ]; then touch "$records/$user.linger"; fi
                loginctl enable-linger "$user"
                for _ in $(seq 1 90); do
                  if [ -S "/run/user/$uid/bus" ] && [ -S "/run/user/$uid/systemd/private" ]; then break; fi
                  sleep 1
                done
                if [ ! -S "/run/user/$uid/systemd/private" ]; then
                  refuse "the user manager of $user did not start; see: systemctl status user@$uid.service"
                fi
                if [ ! -S "/run/user/$uid/bus" ]; then
                  refuse "no user D-Bus for $user (package dbus-user-session); rootless podman needs it"
                fi
                if [ -f "$records/$user.migrate" ]; then
                  (cd / && runuser -u "$user" -- env HOME="$(getent passwd "$user" | cut -d: -f6)" XDG_RUNTIME_DIR="/run/user/$uid" podman system migrate) || true
                  rm -f "$records/$user.migrate"
                fi
                echo "ztnet-infra: user $user (uid $uid) lingers; its user manager runs"
                """);
        var d = Prelude(new Script($"linger off for {st.ServiceUser}, if this stack turned it on"), st)
            .Line("""
                if ! id -u "$user" >/dev/null 2>&1; then rm -f "$records/$user.linger"; echo "ztnet-infra: no user $user"; exit 0; fi
                if [ -f "$records/$user.linger" ]; then
                  loginctl disable-linger "$user" || echo "ztnet-infra: warning: loginctl disable-linger $user failed" >&2
                  rm -f "$records/$user.linger"
                  echo "ztnet-infra: linger off for $user"
                else
                  echo "ztnet-infra: linger of $user was not turned on by this stack: left as it is"
                fi
                """);
        return f.Make(LingerStep, $"Linger and user manager for {st.ServiceUser}", StepAccount.Root, s, delete: d, dependsOn: [AccountStep]);
    }

    private static Script Prelude(Script s, StackSettings st, bool record = false, bool state = false)
    {
        s.Var("user", st.ServiceUser);
        if (state) s.Var("state", Ownership.StateDirectory);
        s.Var("records", Ownership.AccountRecords);
        if (record) s.Line("record=\"$records/$user\"");
        return s.Line(Ownership.ShellHelpers);
    }
}
