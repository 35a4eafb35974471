using System.Diagnostics;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Status;

namespace ZtnetInfra.Cli;

/// <summary>What one SSH round trip returned.</summary>
public sealed record RoundTrip(int ExitCode, string Stdout, string Stderr, bool TimedOut = false);

/// <summary>Runs the status probe on the host; the tests give fixtures instead.</summary>
public interface IStatusTransport
{
    RoundTrip Run(StackSettings settings, string command, string? identityFile, TimeSpan timeout);
}

/// <summary>The status command: read and validate the stack file, one read-only round trip, the report.</summary>
public static partial class Status
{
    public static int Run(string stackFile, string? stack, string? project, string? identityFile, bool json, int timeoutSeconds,
        IStatusTransport transport, TextWriter stdout, TextWriter stderr)
    {
        var config = StackFile.ReadConfig(stackFile);
        var (settings, errors) = SettingsReader.TryRead(config, StackFile.ReaderBeside(stackFile));
        if (settings is null)
        {
            foreach (var e in errors) stderr.WriteLine(e.ToString());
            return ExitCodes.InvalidSettings;
        }
        var id = Identity(stackFile, stack, project);
        if (settings.SshHostKey is null)
            stderr.WriteLine($"warning: {SettingKeys.SshHostKey.FullKey} is not set: the host key of {settings.Host} is checked against your known_hosts only. "
                + $"Pin it: pulumi config set {SettingKeys.SshHostKey.FullKey} 'ssh-ed25519 AAAA...'");

        var probe = StatusProbe.For(Planner.Build(settings));
        var trip = transport.Run(settings, probe.Command, identityFile, TimeSpan.FromSeconds(timeoutSeconds));
        var report = Classify(probe, id, trip, timeoutSeconds);
        stdout.Write(json ? StatusOutput.Json(report) : StatusOutput.Text(report));
        return report.ExitCode;
    }

    /// <summary>What the round trip means: an answer, a host key that is not the pinned one, or no answer.</summary>
    public static StatusReport Classify(StatusProbe probe, StackIdentity id, RoundTrip trip, int timeoutSeconds)
    {
        var host = probe.Plan.Settings.Host;
        if (trip.TimedOut)
            return StatusReport.Failed(probe, id, Reach.Unreachable, $"no answer from {host} within {timeoutSeconds} s (--timeout)");
        // OpenSSH's words when the key is not the known (pinned) one, or none is known (ssh/sshconnect.c).
        if (trip.ExitCode == 255 && (trip.Stderr.Contains("REMOTE HOST IDENTIFICATION HAS CHANGED", StringComparison.Ordinal)
                                     || trip.Stderr.Contains("Host key verification failed", StringComparison.Ordinal)))
            return StatusReport.Failed(probe, id, Reach.HostKeyMismatch, probe.Plan.Settings.SshHostKey is null
                ? $"the SSH host key of {host} is not in your known_hosts, or differs from it: nothing was sent. Pin the server's key: pulumi config set {SettingKeys.SshHostKey.FullKey} 'ssh-ed25519 AAAA...' (a line of its /etc/ssh/ssh_host_ed25519_key.pub)"
                : $"the SSH host key of {host} is not the one pinned in {SettingKeys.SshHostKey.FullKey}: nothing was sent after the key exchange. If the server was reinstalled, pin its new key (a line of its /etc/ssh/ssh_host_ed25519_key.pub); else someone may be in the middle.");
        if (trip.ExitCode == 255)
            return StatusReport.Failed(probe, id, Reach.Unreachable, $"ssh to {probe.Plan.Settings.SshUser}@{host}:{probe.Plan.Settings.SshPort} failed: {LastLines(trip.Stderr)}");
        if (trip.ExitCode != 0)
            return StatusReport.Failed(probe, id, Reach.Unreachable, $"the status probe failed on {host} (exit {trip.ExitCode}): {LastLines(trip.Stderr)}");
        var answer = HostAnswer.Parse(trip.Stdout);
        if (answer is null)
            return StatusReport.Failed(probe, id, Reach.Unreachable, $"the answer from {host} was cut short or is not a status answer: {LastLines(trip.Stderr)}");
        return StatusReport.Evaluate(probe, id, answer);
    }

    /// <summary>The stack's name from the file name (Pulumi.&lt;stack&gt;.yaml), the project's from Pulumi.yaml beside it.</summary>
    public static StackIdentity Identity(string stackFile, string? stack, string? project)
    {
        stack ??= StackFileName().Match(Path.GetFileName(stackFile)) is { Success: true } m ? m.Groups[1].Value
            : throw new CliException(ExitCodes.Usage, $"ztnet-infra: cannot tell the stack's name from {Path.GetFileName(stackFile)} (not Pulumi.<stack>.yaml): give --stack");
        if (project is null)
        {
            var projectFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(stackFile))!, "Pulumi.yaml");
            project = ProjectName(projectFile)
                ?? throw new CliException(ExitCodes.Usage, $"ztnet-infra: no project name in {projectFile} (its name: line): give --project");
        }
        return new StackIdentity(stack, project);
    }

    private static string? ProjectName(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var yaml = new YamlStream();
            using var reader = new StringReader(File.ReadAllText(path));
            yaml.Load(reader);
            return yaml.Documents.FirstOrDefault()?.RootNode is YamlMappingNode map
                   && map.Children.TryGetValue(new YamlScalarNode("name"), out var n) && n is YamlScalarNode { Value: { Length: > 0 } name }
                ? name : null;
        }
        catch (YamlDotNet.Core.YamlException)
        {
            return null;
        }
    }

    private static string LastLines(string s)
    {
        var lines = s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return lines.Length == 0 ? "(nothing on stderr)" : string.Join(" | ", lines.TakeLast(3));
    }

    [GeneratedRegex(@"^Pulumi\.(.+)\.ya?ml$")]
    private static partial Regex StackFileName();
}

/// <summary>
/// The system's OpenSSH client. It uses the operator's own SSH agent, ~/.ssh/config and keys, as
/// their shell does; the stack's ztnet:sshPrivateKey is a Pulumi secret that this command neither
/// can nor should decrypt. When ztnet:sshHostKey is set, the host key is checked against that pin
/// only (a known_hosts file of one line, under an alias, so neither the user's nor the system's
/// known_hosts counts); else against the user's known_hosts, strictly (an unknown key fails).
/// </summary>
public sealed class OpenSshTransport : IStatusTransport
{
    public const string HostAlias = "ztnet-infra-host";
    public const string BastionAlias = "ztnet-infra-bastion";

    public RoundTrip Run(StackSettings settings, string command, string? identityFile, TimeSpan timeout)
    {
        var dir = Directory.CreateTempSubdirectory("ztnet-status-").FullName;
        try
        {
            var psi = new ProcessStartInfo("ssh")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in Arguments(settings, dir, identityFile, command)) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start ssh");
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            p.StandardInput.Close();
            if (!p.WaitForExit(timeout))
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit();
                return new RoundTrip(-1, stdout.Result, stderr.Result, TimedOut: true);
            }
            p.WaitForExit();
            return new RoundTrip(p.ExitCode, stdout.Result, stderr.Result);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The ssh arguments; a pinned key is written to <paramref name="dir"/>/known_hosts.</summary>
    public static IReadOnlyList<string> Arguments(StackSettings s, string dir, string? identityFile, string command)
    {
        var known = Path.Combine(dir, "known_hosts");
        var lines = new List<string>();
        if (s.SshHostKey is not null) lines.Add($"{HostAlias} {s.SshHostKey}");
        if (s.BastionHostKey is not null) lines.Add($"{BastionAlias} {s.BastionHostKey}");
        if (lines.Count > 0) File.WriteAllText(known, string.Join('\n', lines) + "\n");

        List<string> Common(string? alias) =>
        [
            "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=yes", "-o", "UpdateHostKeys=no", "-o", "ConnectTimeout=20",
            .. alias is null ? Array.Empty<string>() : ["-o", "UserKnownHostsFile=" + known, "-o", "GlobalKnownHostsFile=/dev/null", "-o", "HostKeyAlias=" + alias, "-o", "CheckHostIP=no"],
            .. identityFile is null ? Array.Empty<string>() : ["-i", identityFile, "-o", "IdentitiesOnly=yes"],
        ];

        var args = new List<string> { "-T" };
        args.AddRange(Common(s.SshHostKey is null ? null : HostAlias));
        args.AddRange(["-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4", "-o", "LogLevel=ERROR"]);
        if (s.BastionHost is not null)
        {
            // ProxyCommand rather than ProxyJump: the jump's own ssh gets the same strict options and its pin.
            var jump = new List<string> { "ssh", "-T" };
            jump.AddRange(Common(s.BastionHostKey is null ? null : BastionAlias));
            jump.AddRange(["-W", "%h:%p", "-p", s.BastionPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-l", s.BastionUser ?? s.SshUser, s.BastionHost]);
            args.AddRange(["-o", "ProxyCommand=" + string.Join(' ', jump.Select(a => a == "%h:%p" ? a : Sh.Quote(a)))]);
        }
        args.AddRange(["-p", s.SshPort.ToString(System.Globalization.CultureInfo.InvariantCulture), "-l", s.SshUser, s.Host, command]);
        return args;
    }
}
