using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Status;
using ZtnetInfra.HostTests.Executor;

namespace ZtnetInfra.HostTests.Scenarios;

/// <summary>
/// A fresh `pulumi up` cut off again and again (the SSH connection dropped during service-account,
/// data-dirs, images, enable-units and database-password), then one that runs to the end: the host
/// ends healthy and its records say what an uninterrupted run says. Last, on a host emptied first.
/// </summary>
public sealed partial class StackOnTestHostTests
{
    [Fact, Scenario(48), Trait(ScenarioSuite.Trait, ScenarioSuite.Extended)]
    public async Task A_fresh_apply_cut_off_during_each_of_its_long_steps_is_finished_by_the_next_apply()
    {
        // An empty host: the stack the scenarios before left (the recovered one of 46 and 47) is purged.
        if (!host.Stack.Executor.State.IsEmpty)
        {
            host.Stack.Set(ZtnetInfra.Core.Settings.SettingKeys.RetainDataOnDestroy, "false");
            host.Stack.Apply();
            host.Stack.Destroy();
            host.Replace(host.NewStack());
        }
        var s = host.Stack.Settings;
        Assert.True(host.Stack.Executor.State.IsEmpty, "an empty state");
        // What the purge kept (the admin's notes) goes, so the data directory is new, as on a fresh host.
        host.Guest.RootOk($"rm -f {s.DataDir}/ADMIN-NOTES.txt; rmdir {s.DataDir} 2>/dev/null || true; test ! -e {s.DataDir}");
        host.Applied = false;

        // Cut off where each step is busy (seconds after its command left: the SSH login and the
        // launcher take one or two). All are armed at once: a step that finishes in time lets the
        // apply go on to the next cut.
        (string Step, double Seconds)[] cuts = [("service-account", 2.5), ("data-dirs", 2.5), ("images", 30), ("enable-units", 8), ("database-password", 5)];
        foreach (var (step, seconds) in cuts) host.Stack.Executor.InterruptDuring(step, TimeSpan.FromSeconds(seconds));
        var interrupted = new List<string>();
        for (var attempt = 0; attempt < cuts.Length; attempt++)
        {
            try
            {
                host.Stack.Apply();
                output.WriteLine($"apply {attempt + 1} ran to its end");
                break;
            }
            catch (StepFailedException e) when (e.Record.Result.ExitCode == 124)
            {
                interrupted.Add(e.Record.Step);
                output.WriteLine($"apply {attempt + 1}: cut off during {e.Record.Step}");
            }
        }
        Assert.True(interrupted.Count >= 3, "fewer than three steps were cut off: " + string.Join(", ", interrupted));
        Assert.All(interrupted, step => Assert.Contains(step, cuts.Select(c => c.Step)));

        // The next apply finishes what the interrupted ones left, with the gate.
        var run = host.Apply();
        output.WriteLine("finishing apply: " + string.Join(", ", run.Select(r => $"{r.Step} {r.Kind}")));
        Assert.Contains(run, r => r.Step == "health-gate");
        Assert.Equal(200, (await host.WaitForHttpsAsync(Minutes5)).Status);
        Assert.Empty(host.Stack.Apply());

        // The records are an uninterrupted run's: the account and the data directory are the stack's own.
        var record = host.Guest.RootOk($"cat {Ownership.AccountRecords}/{s.ServiceUser}");
        Assert.Contains("origin=created", record, StringComparison.Ordinal);
        Assert.DoesNotContain("data-found=", record, StringComparison.Ordinal);
        var marker = host.Guest.RootOk($"cat {s.DataDir}/{Ownership.MarkerName}");
        Assert.Contains("directory=created", marker, StringComparison.Ordinal);
        Assert.Equal($"root:{s.ServiceUser} 750", host.Guest.RootOk($"stat -c '%U:%G %a' {s.DataDir}").Trim());
        Assert.Empty(host.Guest.RootOk($"find {s.DataDir}/.. -maxdepth 1 -name '*.ztnet-infra-new*'").Trim());
        StatusReport? report = null;
        Assert.True(await Until(Minutes5, () => (report = Status()).ExitCode == StatusReport.Ok), "status after the interrupted applies: " + StatusOutput.Text(report!));
    }
}
