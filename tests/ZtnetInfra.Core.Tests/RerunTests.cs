using ZtnetInfra.Core.Plan;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// Any input change re-runs a step (the SSH connection is an input of every step): a re-run
/// with the same text must leave the running stack alone. The bodies run here for real, with
/// fake `systemctl` and `podman` on PATH that record how they were called.
/// </summary>
public class RerunTests
{
    private sealed class FakeHost : IDisposable
    {
        public string Home { get; } = Tools.TempDir();
        private string Bin => Path.Combine(Home, "fakebin");
        public string CallLog => Path.Combine(Home, "calls.log");

        public FakeHost()
        {
            Directory.CreateDirectory(Bin);
            foreach (var tool in new[] { "systemctl", "podman" })
            {
                var path = Path.Combine(Bin, tool);
                // `podman secret inspect` succeeds once a secret was "created".
                File.WriteAllText(path, $$"""
                    #!/bin/sh
                    echo "{{tool}} $*" >> "{{CallLog}}"
                    if [ "$1 $2" = "secret create" ]; then cat > "{{Home}}/secret-$4"; fi
                    if [ "$1 $2" = "secret inspect" ]; then [ -f "{{Home}}/secret-$3" ]; exit $?; fi
                    exit 0
                    """);
                if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        public Tools.Result Run(StepScript script, string stdin = "") =>
            Tools.Run("bash", ["-c", script.Body], stdin: stdin, env: new Dictionary<string, string>
            {
                ["HOME"] = Home,
                ["PATH"] = Bin + ":" + Environment.GetEnvironmentVariable("PATH"),
            });

        public string[] Calls() => File.Exists(CallLog) ? File.ReadAllLines(CallLog) : [];

        public void ClearCalls() => File.Delete(CallLog);

        public void Dispose() => Directory.Delete(Home, recursive: true);
    }

    [Fact]
    public void A_unit_step_run_again_with_the_same_text_restarts_nothing()
    {
        using var host = new FakeHost();
        var step = Stacks.Plan(Stacks.Minimal()).Step("unit-caddy");

        var first = host.Run(step.Create);
        Assert.Equal(0, first.ExitCode);
        Assert.Equal(["systemctl --user daemon-reload", "systemctl --user try-restart container-caddy.service"], host.Calls());
        var written = File.ReadAllText(Path.Combine(host.Home, ".config/systemd/user/container-caddy.service"));
        Assert.Equal(Stacks.Plan(Stacks.Minimal()).Units.Single(u => u.Name == "container-caddy.service").Render(), written);

        host.ClearCalls();
        var again = host.Run(step.Create);
        Assert.Equal(0, again.ExitCode);
        Assert.Empty(host.Calls());
        Assert.Contains("unchanged", again.Output);

        host.ClearCalls();
        var edited = Stacks.Plan(Stacks.With(("caddyImage", "docker.io/library/caddy:2.10.2-alpine"))).Step("unit-caddy");
        Assert.Equal(0, host.Run(edited.Create).ExitCode);
        Assert.Equal(["systemctl --user daemon-reload", "systemctl --user try-restart container-caddy.service"], host.Calls());
        // No temp file left behind: the directory holds the unit and nothing else.
        Assert.Equal(["container-caddy.service"], Directory.GetFiles(Path.Combine(host.Home, ".config/systemd/user")).Select(Path.GetFileName));
    }

    [Fact]
    public void The_secrets_step_replaces_and_restarts_only_when_a_secret_changed()
    {
        using var host = new FakeHost();
        var step = Stacks.Plan(Stacks.Minimal()).Step("podman-secrets");
        const string stdin = "Pg0123456789abcdefXYZ\nAuth-0123456789-0123456789-0123456789\n";

        Assert.Equal(0, host.Run(step.Create, stdin).ExitCode);
        Assert.Equal("Pg0123456789abcdefXYZ", File.ReadAllText(Path.Combine(host.Home, "secret-ztnet-postgres-password")));
        Assert.Equal("Auth-0123456789-0123456789-0123456789", File.ReadAllText(Path.Combine(host.Home, "secret-ztnet-auth-secret")));
        Assert.DoesNotContain(host.Calls(), c => c.Contains("Pg0123456789"));

        host.ClearCalls();
        Assert.Equal(0, host.Run(step.Update!, stdin).ExitCode);
        Assert.DoesNotContain(host.Calls(), c => c.StartsWith("podman secret create") || c.StartsWith("systemctl"));

        host.ClearCalls();
        Assert.Equal(0, host.Run(step.Update!, "NewPassword0123456789\nAuth-0123456789-0123456789-0123456789\n").ExitCode);
        Assert.Contains("podman secret create --replace ztnet-postgres-password -", host.Calls());
        Assert.Contains("systemctl --user try-restart container-ztnet.service", host.Calls());
        Assert.DoesNotContain(File.ReadAllText(Path.Combine(host.Home, ".config/ztnet-infra/secrets.sha256")), "NewPassword");
    }

    [Fact]
    public void The_secrets_step_refuses_a_password_that_would_break_the_database_url_without_echoing_it()
    {
        using var host = new FakeHost();
        var step = Stacks.Plan(Stacks.Minimal()).Step("podman-secrets");

        var r = host.Run(step.Create, "p@ss:word/0123456789\nAuth-0123456789-0123456789-0123456789\n");

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("ztnet:postgresPassword must hold letters and digits only", r.Output);
        Assert.DoesNotContain("p@ss", r.Output);
        Assert.Empty(host.Calls());
    }
}
