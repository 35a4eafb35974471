using System.Text.RegularExpressions;
using ZtnetInfra.Cli;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Status;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.HostTests.Scenarios;

/// <summary>
/// `ztnet-infra status` on the VM, through the system's OpenSSH client as the command runs it:
/// a healthy stack has no finding; hand edits and a stopped unit are reported with their fixes,
/// and the printed `pulumi up --replace` fixes, run through the executor, clear them; a host key
/// that is not the pinned one is its own exit code.
/// </summary>
public sealed partial class StackOnTestHostTests
{
    private static readonly StackIdentity StatusStack = new("testhost", "ztnet-infra");

    private StatusReport Status(Core.Plan.DeploymentPlan? plan = null)
    {
        var probe = StatusProbe.For(plan ?? host.Stack.Plan);
        var trip = new OpenSshTransport().Run(probe.Plan.Settings, probe.Command, host.Env.PrivateKeyPath, TimeSpan.FromMinutes(3));
        var report = Cli.Status.Classify(probe, StatusStack, trip, 180);
        output.WriteLine(StatusOutput.Text(report));
        return report;
    }

    [Fact, Scenario(15)]
    public async Task Status_reports_no_drift_on_a_healthy_stack_and_hand_edits_and_a_stopped_unit_with_fixes_that_clear_them()
    {
        host.EnsureApplied();
        var s = host.Stack.Settings;

        // Healthy: every file as rendered, everything runs (a health check still starting is only a note).
        StatusReport? report = null;
        Assert.True(await Until(Minutes5, () => (report = Status()).ExitCode == StatusReport.Ok), "status on the healthy stack: " + (report is null ? "" : StatusOutput.Text(report)));
        Assert.Contains("Caddy Local Authority", report!.Answer!.CertIssuer, StringComparison.Ordinal);
        Assert.True(report.Answer.Linger);
        Assert.All(report.Answer.Containers, c => Assert.Equal("running", c.State));

        // A hand edit of a unit and of Caddy's configuration, and a stopped container.
        host.Guest.AsServiceUserOk("printf '\\n# a hand edit\\n' >> ~/.config/systemd/user/" + ServiceCatalogue.Ztnet.Unit);
        host.Guest.AsServiceUserOk("printf ' ' >> " + CaddyConfig.HostPath(s));
        Assert.Equal(0, host.Guest.UserSystemctl("stop " + ServiceCatalogue.Caddy.Unit).ExitCode);

        report = Status();
        Assert.Equal(StatusReport.Unhealthy, report.ExitCode);
        Assert.True(report.HasDrift);
        var unitEdit = Assert.Single(report.Findings, f => f.Kind == FindingKind.Drift && f.Subject.EndsWith("/" + ServiceCatalogue.Ztnet.Unit, StringComparison.Ordinal));
        Assert.Equal(StatusStack.Replace("unit-ztnet"), unitEdit.Fix);
        var configEdit = Assert.Single(report.Findings, f => f.Kind == FindingKind.Drift && f.Subject == CaddyConfig.HostPath(s));
        Assert.Equal(StatusStack.Replace("unit-caddy"), configEdit.Fix);
        var stopped = Assert.Single(report.Findings, f => f.Kind == FindingKind.Unhealthy && f.Subject == ServiceCatalogue.Caddy.Unit);
        Assert.Contains("journalctl --user -u " + ServiceCatalogue.Caddy.Unit, stopped.Look);
        Assert.Contains(StatusStack.Replace("unit-caddy"), stopped.Fix);

        // The printed fixes, run as `pulumi up --replace` would run them.
        var steps = report.Findings.SelectMany(f => Regex.Matches(f.Fix ?? "", "--replace '[^']+::([^':]+)'").Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);
        Assert.Equal(["unit-caddy", "unit-ztnet"], steps.Order(StringComparer.Ordinal));
        var run = host.Stack.Executor.Apply(host.Stack.Plan, host.Stack.Secrets, steps);
        output.WriteLine("replaced: " + string.Join(", ", run.Select(r => $"{r.Step} {r.Kind}")));
        Assert.Equal(4, run.Count);

        Assert.True(await Until(Minutes5, () => (report = Status()).ExitCode == StatusReport.Ok), "status after the fixes: " + StatusOutput.Text(report!));
        Assert.Equal(200, (await host.WaitForHttpsAsync(Minutes5)).Status);
        // A second apply has nothing to do: the replaced steps are stored as the plan has them.
        Assert.Empty(host.Stack.Apply());

        // A host key that is not the pinned one: its own exit code, nothing sent.
        var wrongKey = Status(host.Stack.PlanWith(SettingKeys.SshHostKey, NewHostKey()));
        Assert.Equal(StatusReport.HostKeyMismatch, wrongKey.ExitCode);
    }
}
