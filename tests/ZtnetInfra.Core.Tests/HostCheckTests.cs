using ZtnetInfra.Core.Plan;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// The host-packages step runs here against stand-in `dpkg-query`, `apt-cache`, `apt-get` and
/// `podman` that answer as a host of each kind would: an unsupported host is refused before
/// anything is installed.
/// </summary>
public class HostCheckTests
{
    /// <summary>Stand-ins that record every call; `apt-cache policy podman` offers <c>candidate</c>.</summary>
    private sealed class FakeHost : IDisposable
    {
        private readonly FakeBin _bin = new();
        private string Calls => Path.Combine(_bin.Home, "calls.log");

        /// <param name="candidate">What `apt-cache policy podman` offers.</param>
        /// <param name="installed">Packages dpkg-query reports as installed.</param>
        public FakeHost(string candidate, params string[] installed)
        {
            Tool("dpkg-query", $$"""
                pkg=${@: -1}
                for p in {{string.Join(' ', installed)}}; do
                  if [ "$p" = "$pkg" ]; then printf 'install ok installed'; exit 0; fi
                done
                exit 1
                """);
            Tool("apt-cache", $"printf 'podman:\n  Installed: (none)\n  Candidate: %s\n  Version table:\n' '{candidate}'");
            Tool("apt-get", "exit 0");
            Tool("podman", $"echo '{candidate.Split(':').Last().Split('+')[0]}'");
            Tool("pasta", "exit 0");
        }

        private void Tool(string tool, string body) => _bin.Tool(tool, $"echo \"{tool} $*\" >> \"{Calls}\"\n{body}");

        public Tools.Result Run(StepScript script) => _bin.Run(script);

        public string[] CallLines() => File.Exists(Calls) ? File.ReadAllLines(Calls) : [];

        public void Dispose() => _bin.Dispose();
    }

    private static RemoteStep Step() => Stacks.Plan(Stacks.Minimal()).Step("host-packages");

    [Fact]
    public void Debian_12_is_refused_before_any_package_is_installed()
    {
        using var host = new FakeHost("4.3.1+ds1-8+deb12u1");

        var r = host.Run(Step().Create);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("podman 4.3.1+ds1-8+deb12u1, older than 4.7: nothing was installed", r.Output);
        Assert.DoesNotContain(host.CallLines(), c => c.StartsWith("apt-get", StringComparison.Ordinal) && c.Contains(" install ", StringComparison.Ordinal));
    }

    [Fact]
    public void Debian_12_with_its_podman_installed_is_refused_before_passt_or_anything_else_is_installed()
    {
        using var host = new FakeHost("4.3.1+ds1-8+deb12u1", "podman", "uidmap", "curl");

        var r = host.Run(Step().Create);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("the installed podman 4.3.1 is older than 4.7: nothing was installed", r.Output);
        Assert.DoesNotContain(host.CallLines(), c => c.StartsWith("apt", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("4.9.3+ds1-1ubuntu0.2")]
    [InlineData("5.4.2+ds1-2")]
    [InlineData("1:5.8.6+ds1-1")]
    public void A_host_that_would_get_a_new_enough_podman_gets_the_missing_packages_and_apt_waits_for_the_lock(string candidate)
    {
        using var host = new FakeHost(candidate, "curl", "uidmap");

        var r = host.Run(Step().Create);

        Assert.True(r.ExitCode == 0, r.Output);
        var install = Assert.Single(host.CallLines(), c => c.StartsWith("apt-get", StringComparison.Ordinal) && c.Contains(" install ", StringComparison.Ordinal));
        Assert.Contains($"DPkg::Lock::Timeout={HostRequirements.AptLockSeconds}", install);
        Assert.EndsWith("install -y podman passt dbus-user-session", install);
    }

    [Fact]
    public void A_host_whose_sources_offer_no_podman_is_refused_before_installing()
    {
        using var host = new FakeHost("(none)");

        var r = host.Run(Step().Create);

        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("offer no podman: nothing was installed", r.Output);
        Assert.DoesNotContain(host.CallLines(), c => c.Contains(" install ", StringComparison.Ordinal));
    }

    [Fact]
    public void A_host_with_everything_installed_runs_no_apt()
    {
        using var host = new FakeHost("5.4.2+ds1-2", [.. HostRequirements.Packages]);

        var r = host.Run(Step().Create);

        Assert.True(r.ExitCode == 0, r.Output);
        Assert.DoesNotContain(host.CallLines(), c => c.StartsWith("apt", StringComparison.Ordinal));
    }
}
