using System.Diagnostics;
using System.Security.Cryptography;
using ZtnetInfra.Core.Plan;

namespace ZtnetInfra.Core.Tests.Sandbox;

/// <summary>
/// A throw-away host for running the stack's root scripts for real: a mount and PID namespace
/// (`unshare`) in which /etc, /root, /var/lib, /var/log and /var/mail are overlays whose writes land in a
/// temporary folder, /home and /srv are folders of that temporary area on disk (the stack refuses
/// tmpfs for data), /run is a tmpfs, and `systemctl`, `loginctl`, `podman` and `runuser` are
/// stand-ins first on PATH that log their calls. Real `useradd`, `usermod`, `userdel`, `findmnt`
/// and coreutils do the work. The namespace ends with the last process in it, and its mounts
/// with it: nothing reaches the real machine (see <see cref="RealHost"/>).
/// </summary>
public sealed class HostSandbox : IDisposable
{
    private readonly Process _holder;
    private readonly int _pid;

    public string Area { get; } = Tools.TempDir();

    private string Bin => Path.Combine(Area, "fakebin");

    private string CallLog => Path.Combine(Area, "calls.log");

    /// <summary>While this file exists, the stand-in systemctl behaves as if no user manager can run.</summary>
    public string NoUserManagerFlag => Path.Combine(Area, "no-user-manager");

    public HostSandbox()
    {
        Directory.CreateDirectory(Bin);
        WriteStandIns();
        var setup = Path.Combine(Area, "setup.sh");
        File.WriteAllText(setup, """
            set -euo pipefail
            area=$1
            for d in etc root var/lib var/log var/mail; do
              [ -d "/$d" ] || continue
              mkdir -p "$area/overlay/$d/upper" "$area/overlay/$d/work"
              mount -t overlay overlay -o "lowerdir=/$d,upperdir=$area/overlay/$d/upper,workdir=$area/overlay/$d/work" "/$d"
            done
            mkdir -p "$area/home" "$area/srv" "$area/mnt"
            mount --bind "$area/home" /home
            mount --bind "$area/srv" /srv
            mount -t tmpfs -o mode=0755 tmpfs /run
            touch "$area/ready"
            exec sleep infinity
            """);
        var psi = new ProcessStartInfo("unshare") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "--mount", "--propagation", "private", "--pid", "--fork", "--mount-proc", "bash", setup, Area }) psi.ArgumentList.Add(a);
        _holder = Process.Start(psi) ?? throw new InvalidOperationException("cannot start unshare");
        var ready = Path.Combine(Area, "ready");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(ready))
        {
            if (_holder.HasExited) throw new InvalidOperationException("the sandbox did not start: " + _holder.StandardError.ReadToEnd());
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the sandbox did not start in 30 s");
            Thread.Sleep(50);
        }
        // PID 1 of the new namespace is unshare's only child.
        _pid = int.Parse(File.ReadAllText($"/proc/{_holder.Id}/task/{_holder.Id}/children").Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs a test in a fresh sandbox, then checks that the real machine did not change.</summary>
    public static void Use(Action<HostSandbox> test)
    {
        var real = RealHost.Snapshot();
        using (var box = new HostSandbox()) test(box);
        Assert.Equal(real, RealHost.Snapshot());
    }

    /// <summary>Runs bash as root inside the sandbox, with the stand-ins first on PATH.</summary>
    public Tools.Result Bash(string script, string name = "sandbox", TimeSpan? timeout = null, string? stdin = null) =>
        Tools.Run("nsenter", ["-t", _pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-m", "-p", "--",
            "env", "-i", $"PATH={Bin}:{Launcher.Path}", "HOME=/root", "LANG=C.UTF-8", "bash", "-c", script, name], stdin: stdin, timeout: timeout);

    /// <summary>
    /// Replaces a stand-in (or adds one) for this sandbox; it still logs its calls. The folder of
    /// stand-ins is opened to every user, so a script run as the service user finds them on PATH.
    /// </summary>
    public void StandIn(string tool, string body)
    {
        var path = Path.Combine(Bin, tool);
        File.WriteAllText(path, $"#!/bin/bash\nprintf '%s\\n' \"{tool} $*\" >> {ZtnetInfra.Core.Shell.Sh.Quote(CallLog)} 2>/dev/null || true\n{body}\nexit 0\n");
        const UnixFileMode open = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        if (OperatingSystem.IsWindows()) return;
        File.SetUnixFileMode(path, open);
        File.SetUnixFileMode(Bin, open);
        File.SetUnixFileMode(Area, open);
    }

    /// <summary>Runs bash and fails the test unless it succeeds; returns its output.</summary>
    public string Ok(string script)
    {
        var r = Bash(script);
        Assert.True(r.ExitCode == 0, $"sandbox command failed ({r.ExitCode}):\n{script}\n{r.Output}");
        return r.Output;
    }

    /// <summary>Runs a step's rendered body as root, as the launcher would on a host where the SSH login is root.</summary>
    public Tools.Result Run(StepScript script, string stepName) => Bash(script.Body, stepName);

    /// <summary>
    /// Every file, directory and link under the paths with type, mode, owner, size, link target
    /// and content hash, one a line: equal snapshots mean byte-for-byte equal trees.
    /// </summary>
    public string Snapshot(params string[] paths) => Ok($$"""
        for p in {{string.Join(' ', paths.Select(p => ZtnetInfra.Core.Shell.Sh.Quote(p)))}}; do
          if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo "$p absent"; continue; fi
          find "$p" -printf '%p %y %m %u:%g %s %l\n' | LC_ALL=C sort
          find "$p" -type f -exec sha256sum {} + | LC_ALL=C sort -k 2
        done
        """);

    /// <summary>The account databases, byte for byte.</summary>
    public string Accounts() => Snapshot("/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/subuid", "/etc/subgid");

    public string[] Calls() => File.Exists(CallLog) ? File.ReadAllLines(CallLog) : [];

    public void Dispose()
    {
        try
        {
            if (!_holder.HasExited) _holder.Kill(entireProcessTree: true);
            _holder.WaitForExit(10_000);
        }
        finally
        {
            _holder.Dispose();
            // The namespace and its mounts ended with its processes: seen from here the area holds
            // only plain files and links (which Directory.Delete removes without following).
            Directory.Delete(Area, recursive: true);
        }
    }

    private void WriteStandIns()
    {
        // loginctl keeps logind's linger contract (a file in /var/lib/systemd/linger; the user
        // manager's sockets appear under /run/user/UID); the others only log.
        var realRunuser = Tools.Run("sh", ["-c", "command -v runuser"]).Output.Trim();
        // The user manager's sockets, as user@UID.service makes them before it reports ready.
        const string managerSockets = """
            manager_sockets() {
              install -d -o "$1" "/run/user/$1" "/run/user/$1/systemd"
              for s in bus systemd/private; do
                perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0], Listen => 1) or die "$!\n"' "/run/user/$1/$s"
              done
            }
            """;
        var noManager = ZtnetInfra.Core.Shell.Sh.Quote(NoUserManagerFlag);
        var standIns = new Dictionary<string, string>
        {
            ["loginctl"] = managerSockets + """

                case "$1" in
                  enable-linger) install -d /var/lib/systemd/linger && touch "/var/lib/systemd/linger/$2" && manager_sockets "$(id -u "$2")" ;;
                  disable-linger) rm -f "/var/lib/systemd/linger/$2" ;;
                esac
                """,
            // With the flag file, no user manager can run: `--user` calls fail as systemctl does without a bus.
            ["systemctl"] = managerSockets + $$"""

                if [ -e {{noManager}} ] && [ "$1" = --user ]; then echo "Failed to connect to bus: No medium found" >&2; exit 1; fi
                # A user manager is active once it has made its sockets (and never while none can run).
                if [ "$1" = is-active ] && [ "${3:-}" != "${3#user@}" ]; then
                  uid=${3#user@}; uid=${uid%.service}
                  if [ -e {{noManager}} ] || [ ! -S "/run/user/$uid/systemd/private" ]; then exit 3; fi
                  exit 0
                fi
                case "$1 $2" in
                  "start user@"*.service)
                    if [ -e {{noManager}} ]; then echo "Job for $2 failed." >&2; exit 1; fi
                    uid=${2#user@}; manager_sockets "${uid%.service}" ;;
                esac
                """,
            ["podman"] = "",
            // Only a permission probe goes to the real runuser; anything else would start a service user's program.
            ["runuser"] = $"""
                if [ "$3 $4" = "-- test" ]; then exec {realRunuser} "$@"; fi
                """,
        };
        foreach (var (tool, body) in standIns)
        {
            var path = Path.Combine(Bin, tool);
            File.WriteAllText(path, $"#!/bin/bash\nprintf '%s\\n' \"{tool} $*\" >> {ZtnetInfra.Core.Shell.Sh.Quote(CallLog)}\n{body}\nexit 0\n");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }
    }

    /// <summary>Why the sandbox cannot run here, or null when it can.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux()) return "the host sandbox needs Linux";
        if (Environment.UserName != "root" && Tools.Run("id", ["-u"]).Output.Trim() != "0") return "the host sandbox needs root (mount namespaces, useradd): run the tests as root, as CI does";
        foreach (var tool in new[] { "unshare", "nsenter", "useradd", "userdel", "usermod", "findmnt", "mountpoint", "perl" })
            if (Tools.Run("sh", ["-c", $"command -v {tool}"]).ExitCode != 0) return $"the host sandbox needs {tool}";
        var probe = Tools.Run("unshare", ["--mount", "--pid", "--fork", "--mount-proc", "true"]);
        if (probe.ExitCode != 0) return "unshare cannot make a mount and PID namespace here (a container without CAP_SYS_ADMIN?): " + probe.Output.Trim();
        return null;
    }
}

/// <summary>A fact that runs only where the host sandbox can (root, unshare), else skipped with the reason.</summary>
public sealed class SandboxFactAttribute : FactAttribute
{
    private static readonly string? Reason = HostSandbox.Unavailable();

    public SandboxFactAttribute()
    {
        if (Reason is not null) Skip = Reason;
    }
}

/// <summary>The real machine's account files and the places the stack writes: they must not change during a sandbox test.</summary>
public static class RealHost
{
    private static readonly string[] Files = ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/subuid", "/etc/subgid", "/etc/login.defs"];

    public static string Snapshot()
    {
        var lines = Files.Select(f => File.Exists(f) ? $"{f} {Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))}" : $"{f} absent").ToList();
        foreach (var d in new[] { Ownership.StateDirectory, "/var/lib/systemd/linger", "/home", "/srv" })
            lines.Add(Directory.Exists(d) ? $"{d}: {string.Join(' ', Directory.GetFileSystemEntries(d).Order(StringComparer.Ordinal))}" : $"{d} absent");
        return string.Join('\n', lines);
    }
}
