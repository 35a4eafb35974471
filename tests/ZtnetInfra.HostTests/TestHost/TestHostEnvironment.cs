using System.Globalization;

namespace ZtnetInfra.HostTests.TestHost;

/// <summary>
/// The booted test host, as tests/testhost/vm.sh describes it in the environment
/// (`eval "$(tests/testhost/vm.sh env)"`; tests/testhost/run-host-tests.sh does this).
/// </summary>
public sealed record TestHostEnvironment(
    int SshPort,
    int HttpPort,
    int HttpsPort,
    string Login,
    string PrivateKeyPath,
    string HostKey,
    IReadOnlyList<string> Images,
    string LogDirectory,
    string? VmScript = null)
{
    /// <summary>
    /// A new server in place of the old one: the VM stopped and booted again on a fresh overlay of
    /// the image (tests/testhost/vm.sh; run-host-tests.sh names it in TESTHOST_VM). Everything the
    /// old server held is gone; the address, ports and host key are the image's again.
    /// </summary>
    public void ResetDisk()
    {
        var vm = VmScript ?? throw new InvalidOperationException("TESTHOST_VM is not set: run the scenarios with tests/testhost/run-host-tests.sh, which names tests/testhost/vm.sh there");
        foreach (var verb in new[] { "stop", "start" })
        {
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("bash", [vm, verb]) { RedirectStandardError = true, RedirectStandardOutput = true })
                ?? throw new InvalidOperationException("cannot run " + vm);
            var err = p.StandardError.ReadToEndAsync();
            var outText = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0) throw new InvalidOperationException($"{vm} {verb} failed ({p.ExitCode}): {outText}{err.Result}");
        }
    }

    public static TestHostEnvironment FromEnvironment()
    {
        static string Need(string name) =>
            Environment.GetEnvironmentVariable(name) is { Length: > 0 } v
                ? v
                : throw new InvalidOperationException(
                    $"{name} is not set: these tests need a booted test host. Run `sudo tests/testhost/run-host-tests.sh`, "
                    + "or boot one with tests/testhost/vm.sh start and export what `tests/testhost/vm.sh env` prints.");
        static int Port(string name) => int.Parse(Need(name), CultureInfo.InvariantCulture);

        var logs = Environment.GetEnvironmentVariable("TESTHOST_LOG_DIR") is { Length: > 0 } d
            ? d
            : Path.Combine(Path.GetTempPath(), "ztnet-hosttests");
        Directory.CreateDirectory(logs);
        return new TestHostEnvironment(
            Port("TESTHOST_SSH_PORT"), Port("TESTHOST_HTTP_PORT"), Port("TESTHOST_HTTPS_PORT"),
            Need("TESTHOST_LOGIN"), Need("TESTHOST_KEY"), Need("TESTHOST_HOST_KEY"),
            File.ReadAllLines(Need("TESTHOST_IMAGES_LIST")).Where(l => l.Length > 0).ToList(),
            logs,
            Environment.GetEnvironmentVariable("TESTHOST_VM") is { Length: > 0 } vm ? vm : null);
    }
}
