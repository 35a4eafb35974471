using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Plan;

/// <summary>
/// Turns a step's bash body into the command sent over SSH. The command is POSIX sh (the
/// login shell may be dash), becomes root with `sudo -n` only when the login is not root, and
/// for service-user steps enters that user's systemd user manager through `runuser`.
/// Standard input (the secrets) passes through untouched; the body travels as an argument,
/// never a secret.
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
                : $"  echo \"ztnet-infra: the service user $ztnet_user does not exist (the service-user step creates it)\" >&2; exit 1";
            var noManager = kind == ScriptKind.Delete
                ? "    break"
                : "    echo \"ztnet-infra: the systemd user manager of $ztnet_user is not running: is linger enabled (loginctl enable-linger $ztnet_user)?\" >&2; exit 1";
            lines.AddRange(
            [
                "ztnet_user=" + Sh.Quote(serviceUser),
                "if ! ztnet_uid=$(id -u \"$ztnet_user\" 2>/dev/null); then",
                gone,
                "fi",
                "ztnet_home=$(getent passwd \"$ztnet_user\")",
                "ztnet_home=${ztnet_home#*:*:*:*:*:}",
                "ztnet_home=${ztnet_home%%:*}",
                "ztnet_wait=0",
                // /run/user/UID is private to that user: a sudo login must look through root's eyes.
                "while ! as_root test -S \"/run/user/$ztnet_uid/bus\" || ! as_root test -S \"/run/user/$ztnet_uid/systemd/private\"; do",
                "  ztnet_wait=$((ztnet_wait + 1))",
                "  if [ \"$ztnet_wait\" -gt 90 ]; then",
                noManager,
                "  fi",
                "  sleep 1",
                "done",
                "cd /",
                "as_root runuser -u \"$ztnet_user\" -- env -i HOME=\"$ztnet_home\" USER=\"$ztnet_user\" LOGNAME=\"$ztnet_user\" LANG=C.UTF-8 \\",
                $"  PATH={Path} XDG_RUNTIME_DIR=\"/run/user/$ztnet_uid\" \\",
                "  DBUS_SESSION_BUS_ADDRESS=\"unix:path=/run/user/$ztnet_uid/bus\" \\",
                $"  bash -c \"$ztnet_script\" {Sh.Quote(stepName)}",
            ]);
        }
        return string.Join('\n', lines) + "\n";
    }
}
