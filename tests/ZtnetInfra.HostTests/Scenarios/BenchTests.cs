using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.HostTests.TestHost;

namespace ZtnetInfra.HostTests.Scenarios;

/// <summary>
/// Measurements for bench/testhost-bench.sh on a freshly booted VM (not a test of behaviour:
/// the scenarios are). Excluded from the test run; writes key=value lines to $BENCH_OUT.
/// </summary>
[Trait("Category", "Bench")]
public sealed class BenchTests(TestHostFixture host, ITestOutputHelper output) : IClassFixture<TestHostFixture>
{
    [Fact]
    public async Task Measure_fresh_noop_and_single_setting_applies()
    {
        var results = new List<(string Key, string Value)>();
        void Put(string key, double value) => results.Add((key, value.ToString("0.0", CultureInfo.InvariantCulture)));
        void PutInt(string key, int value) => results.Add((key, value.ToString(CultureInfo.InvariantCulture)));

        var cpuBefore = GuestCpu();
        var watch = Stopwatch.StartNew();
        var fresh = host.Stack.Apply();
        host.Applied = true;
        Put("fresh_apply_seconds", watch.Elapsed.TotalSeconds);
        PutInt("fresh_apply_remote_commands", fresh.Count);
        // How busy the guest's CPUs were over the fresh apply (the two /proc/stat reads included):
        // near 100 % means the apply is bound by CPU, not by waiting, and running more at once
        // cannot shorten it.
        var cpuAfter = GuestCpu();
        var total = cpuAfter.Total - cpuBefore.Total;
        Put("fresh_apply_guest_cpu_busy_percent", total > 0 ? 100.0 * (total - (cpuAfter.Idle - cpuBefore.Idle)) / total : -1);
        Put("fresh_apply_guest_cpu_seconds", (total - (cpuAfter.Idle - cpuBefore.Idle)) / 100.0);
        // Each step's own command time, in plan order: where a regression happened.
        results.Add(("fresh_apply_steps", Durations(fresh)));

        watch.Restart();
        var noop = host.Stack.Apply();
        Put("noop_apply_seconds", watch.Elapsed.TotalSeconds);
        PutInt("noop_apply_remote_commands", noop.Count);

        var before = host.Containers();
        host.Stack.Set(SettingKeys.CaddyImage, TestHostFixture.SecondCaddyImage);
        using (var probe = host.Probe())
        {
            await using var monitor = new DowntimeMonitor(probe, host.Stack.Settings.ZtnetHealthPath, TimeSpan.FromMilliseconds(250));
            await Task.Delay(TimeSpan.FromSeconds(2));
            watch.Restart();
            var single = host.Stack.Apply();
            Put("caddy_image_apply_seconds", watch.Elapsed.TotalSeconds);
            PutInt("caddy_image_apply_remote_commands", single.Count);
            results.Add(("caddy_image_apply_steps", Durations(single)));
            await Task.Delay(TimeSpan.FromSeconds(2));
            await monitor.StopAsync();
            var outage = monitor.LongestOutage();
            Put("https_outage_during_caddy_change_seconds", outage == TimeSpan.MaxValue ? -1 : outage.TotalSeconds);
            PutInt("https_probes_failed", monitor.Failures);
            PutInt("https_probes", monitor.Samples);
        }
        var after = host.Containers();
        PutInt("ztnet_container_restarted", before["ztnet"] == after["ztnet"] ? 0 : 1);
        PutInt("other_containers_restarted", new[] { "postgres", "zerotier", "ztnet" }.Count(n => before[n] != after[n]));

        var text = string.Join('\n', results.Select(r => $"{r.Key}={r.Value}")) + "\n";
        output.WriteLine(text);
        if (Environment.GetEnvironmentVariable("BENCH_OUT") is { Length: > 0 } path) File.WriteAllText(path, text);
        Assert.Empty(noop);
    }

    /// <summary>
    /// The guest's CPU time so far, in USER_HZ ticks (100 a second on Linux), from /proc/stat's
    /// first line: all of it, and the idle part (idle and iowait; proc(5)).
    /// </summary>
    private (long Total, long Idle) GuestCpu()
    {
        var fields = host.Guest.RootOk("head -n 1 /proc/stat").Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // user nice system idle iowait irq softirq steal (guest and guest_nice are inside user and nice)
        return (fields.Take(8).Sum(), fields[3] + fields[4]);
    }

    private static string Durations(IEnumerable<Executor.CommandRecord> records) =>
        string.Join(" ", records.Select(r => $"{r.Step}:{r.Result.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}"));
}
