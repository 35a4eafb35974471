using System.Globalization;
using System.Security.Cryptography;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.HostTests.Executor;

namespace ZtnetInfra.HostTests.TestHost;

/// <summary>
/// One stack deployed to the test host, as `pulumi up` would keep it: its settings, its generated
/// secrets (like Pulumi.Random's, made once per stack) and the executor's state of applied steps.
/// </summary>
public sealed class TestStack : IDisposable
{
    public const string Domain = "ztnet.test";

    private readonly OpenSshRunner _ssh;
    private readonly Dictionary<string, ConfigValue> _config;

    public TestStack(TestHostEnvironment env, TextWriter log, string? hostKey = null)
    {
        _config = new Dictionary<string, ConfigValue>
        {
            ["ztnet:host"] = ConfigValue.Plain("127.0.0.1"),
            ["ztnet:sshPort"] = ConfigValue.Plain(env.SshPort.ToString(CultureInfo.InvariantCulture)),
            ["ztnet:sshUser"] = ConfigValue.Plain(env.Login),
            ["ztnet:sshHostKey"] = ConfigValue.Plain(hostKey ?? env.HostKey),
            ["ztnet:domain"] = ConfigValue.Plain(Domain),
            ["ztnet:tlsMode"] = ConfigValue.Plain("internal"),
            // Software emulation is slow: the first start pulls every image.
            ["ztnet:healthTimeoutSeconds"] = ConfigValue.Plain("600"),
        };
        Settings = SettingsReader.Read(_config);
        RotateSecrets();
        _ssh = new OpenSshRunner(SshTarget.From(Settings, env.PrivateKeyPath));
        // The engine's default parallelism unless ZTNET_TESTHOST_PARALLEL says otherwise (1: one step at a time).
        var parallel = int.TryParse(Environment.GetEnvironmentVariable("ZTNET_TESTHOST_PARALLEL"), NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0
            ? p : ExecutorOptions.DefaultParallel;
        Executor = new PlanExecutor(_ssh, new ExecutorState(), log, new ExecutorOptions { Parallel = parallel });
    }

    public StackSettings Settings { get; private set; }

    public IReadOnlyDictionary<PlanSecret, string> Secrets => _secrets;

    private readonly Dictionary<PlanSecret, string> _secrets = [];

    /// <summary>New values for both secrets, as `pulumi config set --secret` of new ones (or new Pulumi.Random keepers) gives.</summary>
    public void RotateSecrets()
    {
        _secrets[PlanSecret.PostgresPassword] = Generate(32, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
        _secrets[PlanSecret.AuthSecret] = Generate(48, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_");
    }

    /// <summary>The plan this stack would have with one setting changed (the stack itself stays as it is).</summary>
    public DeploymentPlan PlanWith(SettingKey key, string value) =>
        Planner.Build(SettingsReader.Read(new Dictionary<string, ConfigValue>(_config) { [key.FullKey] = ConfigValue.Plain(value) }));

    public PlanExecutor Executor { get; }

    public DeploymentPlan Plan => Planner.Build(Settings);

    /// <summary>
    /// Several settings at once, as a few `pulumi config set` (`--secret` for the secrets) before one
    /// `pulumi up`: some are valid only together (a repository and its password).
    /// </summary>
    public void Set(IEnumerable<(SettingKey Key, string Value)> values, IEnumerable<(SettingKey Key, PlanSecret Secret, string Value)> secrets)
    {
        foreach (var (key, value) in values) _config[key.FullKey] = ConfigValue.Plain(value);
        foreach (var (key, secret, value) in secrets)
        {
            _config[key.FullKey] = ConfigValue.Secure();
            _secrets[secret] = value;
        }
        Settings = SettingsReader.Read(_config);
    }

    /// <summary>Several `pulumi config set` and `pulumi config rm` before one `pulumi up` (some settings are valid only together).</summary>
    public void Change(IEnumerable<(SettingKey Key, string Value)> set, IEnumerable<SettingKey> remove)
    {
        foreach (var key in remove) _config.Remove(key.FullKey);
        foreach (var (key, value) in set) _config[key.FullKey] = ConfigValue.Plain(value);
        Settings = SettingsReader.Read(_config);
    }

    /// <summary>Removes a setting, as `pulumi config rm` does (its default applies again).</summary>
    public void Remove(SettingKey key)
    {
        _config.Remove(key.FullKey);
        Settings = SettingsReader.Read(_config);
    }

    /// <summary>Changes one setting, as `pulumi config set` does; the next apply deploys it.</summary>
    public void Set(SettingKey key, string value)
    {
        _config[key.FullKey] = ConfigValue.Plain(value);
        Settings = SettingsReader.Read(_config);
    }

    public IReadOnlyList<CommandRecord> Apply() => Executor.Apply(Plan, Secrets);

    public IReadOnlyList<CommandRecord> Destroy() => Executor.Destroy();

    /// <summary>Runs one step's script of <paramref name="plan"/> over this stack's connection, outside the executor's state.</summary>
    public SshResult RunStep(DeploymentPlan plan, string step, TimeSpan timeout)
    {
        var s = plan.Step(step);
        return _ssh.Run(s.Create.Command, DeploymentPlan.ComposeStdin(s, Secrets), timeout);
    }

    private static string Generate(int length, string alphabet) => RandomNumberGenerator.GetString(alphabet, length);

    public void Dispose() => _ssh.Dispose();
}
