using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using ZtnetInfra.Core.Units;
using ZtnetInfra.HostTests.Executor;
using ZtnetInfra.HostTests.TestHost;

namespace ZtnetInfra.HostTests.Scenarios;

/// <summary>
/// The booted VM shared by the scenarios, the stack currently deployed on it, and the executor's
/// log file (every SSH command the executor ran, with its output).
/// </summary>
public sealed class TestHostFixture : IDisposable
{
    public const string SecondCaddyImage = "docker.io/library/caddy:2.11.4-alpine-testhost2";

    /// <summary>The PostgreSQL image under a second tag (tests/testhost/testhost-env.sh): an image change that takes a backup.</summary>
    public const string SecondPostgresImage = "docker.io/library/postgres:15.19-alpine-testhost2";

    /// <summary>The ZTNet stand-in under a second tag (tests/testhost/build-image.sh, fixture ztnet2).</summary>
    public const string SecondZtnetImage = "docker.io/sinamics/ztnet:0.8.2-testhost2";

    private readonly OpenSshRunner _guestSsh;
    private readonly List<TestStack> _stacks = [];

    public TestHostFixture()
    {
        Env = TestHostEnvironment.FromEnvironment();
        ExecutorLogPath = Path.Combine(Env.LogDirectory, "executor.log");
        ExecutorLog = new StreamWriter(ExecutorLogPath, append: false) { AutoFlush = true };
        Stack = NewStack();
        _guestSsh = new OpenSshRunner(SshTarget.From(Stack.Settings, Env.PrivateKeyPath));
        Guest = new Guest(_guestSsh, Stack.Settings.ServiceUser);

        var s = Stack.Settings;
        var missing = new[] { s.PostgresImage, s.ZerotierImage, s.ZtnetImage, s.CaddyImage, SecondCaddyImage, SecondPostgresImage, SecondZtnetImage }
            .Where(i => !Env.Images.Contains(i)).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException(
                "the test host's registry does not serve " + string.Join(", ", missing)
                + ": the stack's images changed; update TESTHOST_IMAGES in tests/testhost/testhost-env.sh (the image is rebuilt)");
    }

    public TestHostEnvironment Env { get; }

    public Guest Guest { get; }

    public string ExecutorLogPath { get; }

    public StreamWriter ExecutorLog { get; }

    /// <summary>The stack the scenarios deploy; destroy-and-recreate replaces it with a new one.</summary>
    public TestStack Stack { get; private set; }

    public bool Applied { get; set; }

    /// <summary>The stack of the ACME scenarios (41-44), deployed after the purge beside the main one, which stays empty.</summary>
    public TestStack? AcmeStack { get; set; }

    /// <summary>The root the Pebble of scenario 41 issued the ACME stack's certificate from (a reboot starts a Pebble with another).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? AcmeIssuerRoot { get; set; }

    public TestStack NewStack(string? hostKey = null)
    {
        var stack = new TestStack(Env, ExecutorLog, hostKey);
        _stacks.Add(stack);
        return stack;
    }

    public void Replace(TestStack stack)
    {
        Stack = stack;
        Applied = false;
    }

    /// <summary>Deploys the current stack unless a scenario already did (so each scenario can run alone).</summary>
    public void EnsureApplied()
    {
        if (Applied) return;
        if (ApplyFailure is not null)
            throw new InvalidOperationException("not run: the deployment failed in an earlier scenario: " + ApplyFailure.Message, ApplyFailure);
        Apply();
    }

    /// <summary>The first failed deployment: later scenarios report it at once instead of failing the same way slowly.</summary>
    public Exception? ApplyFailure { get; private set; }

    /// <summary>Applies the current stack, remembering a failure for the scenarios after.</summary>
    public IReadOnlyList<CommandRecord> Apply()
    {
        try
        {
            var run = Stack.Apply();
            Applied = true;
            return run;
        }
        catch (StepFailedException e)
        {
            ApplyFailure ??= e;
            throw;
        }
    }

    public X509Certificate2 CaddyRoot()
    {
        var pem = Guest.RootOk($"cat {ServiceCatalogue.DataPath(Stack.Settings, "caddy_data")}/caddy/pki/authorities/local/root.crt");
        return X509Certificate2.CreateFromPem(pem);
    }

    public HttpsProbe Probe() => new(TestStack.Domain, Env.HttpsPort, CaddyRoot());

    /// <summary>Waits until ZTNet's health path answers 200 through Caddy from outside the VM.</summary>
    public async Task<(int Status, string Body)> WaitForHttpsAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        (int Status, string Body) last = (0, "not tried");
        while (watch.Elapsed < timeout)
        {
            try
            {
                using var probe = Probe();
                last = await probe.GetAsync(Stack.Settings.ZtnetHealthPath);
                if (last.Status == 200) return last;
            }
            catch (InvalidOperationException e)
            {
                last = (0, e.Message); // no CA yet, or the host is rebooting
            }
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
        return last;
    }

    /// <summary>Container name → "id started-at" (a restart changes both).</summary>
    public IReadOnlyDictionary<string, string> Containers()
    {
        var names = string.Join(' ', ServiceCatalogue.Containers.Select(c => c.Name));
        var text = Guest.AsServiceUserOk($"podman inspect --format '{{{{.Name}}}} {{{{.Id}}}} {{{{.State.StartedAt}}}}' {names}");
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2))
            .ToDictionary(p => p[0], p => p[1]);
    }

    public void Dispose()
    {
        foreach (var s in _stacks) s.Dispose();
        _guestSsh.Dispose();
        ExecutorLog.Dispose();
    }
}
