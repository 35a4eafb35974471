using ZtnetInfra.Core.Shell;
using ZtnetInfra.HostTests.Executor;

namespace ZtnetInfra.HostTests.TestHost;

/// <summary>
/// Commands the tests use to look at the host (never to change the deployment). They go through
/// their own SSH runner, so they are not part of the executor's record.
/// </summary>
public sealed class Guest(ISshRunner ssh, string serviceUser)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    public string ServiceUser => serviceUser;

    /// <summary>Runs a bash script as root (the login user's passwordless sudo).</summary>
    public SshResult Root(string script, string stdin = "") =>
        ssh.Run("sudo -n bash -c " + Sh.Quote("set -euo pipefail\ncd /\n" + script), stdin, Timeout);

    /// <summary>Runs a bash script as the service user, in its user manager's environment.</summary>
    public SshResult AsServiceUser(string script, string stdin = "") => Root(
        $"user={Sh.Quote(serviceUser)}; uid=$(id -u \"$user\"); home=$(getent passwd \"$user\" | cut -d: -f6)\n"
        + "runuser -u \"$user\" -- env -i HOME=\"$home\" USER=\"$user\" LANG=C.UTF-8 PATH=/usr/local/bin:/usr/bin:/bin "
        + "XDG_RUNTIME_DIR=\"/run/user/$uid\" DBUS_SESSION_BUS_ADDRESS=\"unix:path=/run/user/$uid/bus\" bash -c "
        + Sh.Quote("set -euo pipefail\n" + script), stdin);

    /// <summary>Like <see cref="Root"/>, but the script must succeed; returns its stdout.</summary>
    public string RootOk(string script, string stdin = "") => Ok(Root(script, stdin), script);

    public string AsServiceUserOk(string script, string stdin = "") => Ok(AsServiceUser(script, stdin), script);

    /// <summary>`systemctl --user` of the service user, as root (works while its manager runs).</summary>
    public SshResult UserSystemctl(string args) => Root($"systemctl --user -M {Sh.Quote(serviceUser + "@")} --no-pager {args}");

    public string BootId() => RootOk("cat /proc/sys/kernel/random/boot_id").Trim();

    private static string Ok(SshResult r, string script) =>
        r.ExitCode == 0
            ? r.Stdout
            : throw new InvalidOperationException($"guest command failed with exit {r.ExitCode}:\n{script}\n--- stdout\n{r.Stdout}\n--- stderr\n{r.Stderr}");
}
