using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Plan;

/// <summary>
/// Turns a step's bash body into the command sent over SSH. The command is POSIX sh (the
/// login shell may be dash), becomes root with `sudo -n` only when the login is not root, and
/// for service-user steps enters that user's systemd user manager through `runuser`.
/// Standard input (the secrets) passes through untouched; the body travels as an argument,
/// never a secret. A login whose sudo wants a password stops at once with sudo's message; a delete
/// of a service-user step starts a stopped user manager, or runs without it.
/// </summary>
public static class Launcher
{
    public const string Path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static string Wrap(string stepName, ScriptKind kind, StepAccount account, string serviceUser, string body)
    {
        var kindName = kind.ToString().ToLowerInvariant();
        var who = account == StepAccount.Root ? "root" : $"the service user {serviceUser}";
        var lines = new List<string>
        {
            "#!/bin/sh",
            $"# ztnet-infra step {stepName} ({kindName}): runs as {who}",
            "set -eu",
            "# shellcheck disable=SC2016",
            "ztnet_script=" + Sh.Quote(body),
            "as_root() { if [ \"$(id -u)\" -eq 0 ]; then \"$@\"; else sudo -n -- \"$@\"; fi; }",
            // A sudo that wants a password fails here at once, with its own words, not after a wait that blames something else.
            "if [ \"$(id -u)\" -ne 0 ] && ! ztnet_sudo=$(sudo -n true 2>&1); then",
            "  echo \"ztnet-infra: the SSH login $(id -un) (ztnet:sshUser) cannot become root without a password; sudo -n said: $ztnet_sudo\" >&2",
            "  echo \"ztnet-infra: fix: log in as root (pulumi config set ztnet:sshUser root), or give $(id -un) passwordless sudo (a line '$(id -un) ALL=(ALL) NOPASSWD: ALL' in /etc/sudoers.d/ztnet-infra)\" >&2",
            "  exit 1",
            "fi",
        };
        if (account == StepAccount.Root)
        {
            lines.Add("cd /");
            lines.Add($"as_root env LANG=C.UTF-8 PATH={Path} bash -c \"$ztnet_script\" {Sh.Quote(stepName)}");
        }
        else
        {
            var gone = kind == ScriptKind.Delete
                ? $"  echo \"ztnet-infra: user $ztnet_user is gone: nothing to undo\"; exit 0"
                : $"  echo \"ztnet-infra: the service user $ztnet_user does not exist (the service-account step creates it)\" >&2; exit 1";
            lines.AddRange(
            [
                "ztnet_user=" + Sh.Quote(serviceUser),
                "if ! ztnet_uid=$(id -u \"$ztnet_user\" 2>/dev/null); then",
                gone,
                "fi",
                "ztnet_home=$(getent passwd \"$ztnet_user\")",
                "ztnet_home=${ztnet_home#*:*:*:*:*:}",
                "ztnet_home=${ztnet_home%%:*}",
                // /run/user/UID is private to that user: a sudo login must look through root's eyes.
                // The unit must be active too: a stopped manager can leave its socket files behind
                // (seen on the VM: "Connection refused" on a stale bus socket).
                "ztnet_manager_up() { as_root systemctl is-active --quiet \"user@$ztnet_uid.service\" && as_root test -S \"/run/user/$ztnet_uid/bus\" && as_root test -S \"/run/user/$ztnet_uid/systemd/private\"; }",
                "ztnet_bus=\"unix:path=/run/user/$ztnet_uid/bus\"",
                "ztnet_runtime=\"/run/user/$ztnet_uid\"",
            ]);
            if (kind == ScriptKind.Delete)
            {
                // A destroy must finish even when the user manager is down (linger off, a crash):
                // start it as root (user@.service is Type=notify: started means ready), or go on without it.
                lines.AddRange(
                [
                    "if ! ztnet_manager_up; then",
                    "  echo \"ztnet-infra: the user manager of $ztnet_user is not running: starting user@$ztnet_uid.service for this delete\" >&2",
                    "  if as_root systemctl start \"user@$ztnet_uid.service\"; then",
                    "    ztnet_wait=0",
                    "    while ! ztnet_manager_up && [ \"$ztnet_wait\" -lt 60 ]; do ztnet_wait=$((ztnet_wait + 1)); sleep 1; done",
                    "  fi",
                    "fi",
                    "if ! ztnet_manager_up; then",
                    "  echo \"ztnet-infra: warning: no user manager for $ztnet_user: deleting with podman directly; its systemctl --user calls are skipped\" >&2",
                    "  ztnet_bus=",
                    "  if ! as_root test -d \"$ztnet_runtime\"; then ztnet_runtime=; fi",
                    "fi",
                ]);
            }
            else
            {
                lines.AddRange(
                [
                    "ztnet_wait=0",
                    "while ! ztnet_manager_up; do",
                    "  ztnet_wait=$((ztnet_wait + 1))",
                    "  if [ \"$ztnet_wait\" -gt 90 ]; then",
                    "    echo \"ztnet-infra: the systemd user manager of $ztnet_user is not running: is linger enabled (loginctl enable-linger $ztnet_user)? see: systemctl status user@$ztnet_uid.service\" >&2; exit 1",
                    "  fi",
                    "  sleep 1",
                    "done",
                ]);
            }
            lines.AddRange(
            [
                "cd /",
                "as_root runuser -u \"$ztnet_user\" -- env -i HOME=\"$ztnet_home\" USER=\"$ztnet_user\" LOGNAME=\"$ztnet_user\" LANG=C.UTF-8 \\",
                $"  PATH={Path} ${{ztnet_runtime:+XDG_RUNTIME_DIR=\"$ztnet_runtime\"}} \\",
                "  ${ztnet_bus:+DBUS_SESSION_BUS_ADDRESS=\"$ztnet_bus\"} \\",
                $"  bash -c \"$ztnet_script\" {Sh.Quote(stepName)}",
            ]);
        }
        return string.Join('\n', lines) + "\n";
    }
}
