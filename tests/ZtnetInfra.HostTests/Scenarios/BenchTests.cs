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

        var watch = Stopwatch.StartNew();
        var fresh = host.Stack.Apply();
        host.Applied = true;
        Put("fresh_apply_seconds", watch.Elapsed.TotalSeconds);
        PutInt("fresh_apply_remote_commands", fresh.Count);
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

    private static string Durations(IEnumerable<Executor.CommandRecord> records) =>
        string.Join(" ", records.Select(r => $"{r.Step}:{r.Result.Duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)}"));
}
