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
    string LogDirectory)
{
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
            logs);
    }
}
