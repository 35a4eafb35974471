using System.Collections.Immutable;
using Moq;
using Pulumi;
using Pulumi.Testing;

namespace ZtnetInfra.Tests.Harness;

/// <summary>The program as `pulumi up` runs it, with the recording stack options the tests need.</summary>
public sealed class RecordingProgram : ZtnetProgram
{
    private static readonly List<ResourceTransformationArgs> Seen = [];

    public RecordingProgram() : base(new StackOptions { ResourceTransformations = { Record } })
    {
    }

    /// <summary>
    /// The mock engine does not show a resource's options (DependsOn, AdditionalSecretOutputs) nor
    /// whether an input was secret. A stack transformation sees every child resource's args and
    /// options exactly as the program built them, before registration.
    /// </summary>
    private static ResourceTransformationResult? Record(ResourceTransformationArgs args)
    {
        lock (Seen) Seen.Add(args);
        return null;
    }

    public static List<ResourceTransformationArgs> Drain()
    {
        lock (Seen)
        {
            var all = Seen.ToList();
            Seen.Clear();
            return all;
        }
    }
}

/// <summary>
/// The program as an Automation API inline program sees its config: the SDK holds it (the inline
/// runner hands it over directly), and no PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS is set. The
/// mock deployment has parsed both variables into the SDK's config before the stack is built;
/// they are removed here, before the program's constructor reads anything.
/// </summary>
public sealed class ApiOnlyProgram : ZtnetProgram
{
    public ApiOnlyProgram() : base(HideLanguageHostVariables())
    {
    }

    /// <summary>True when the last construction found the variables set (the SDK had them) and removed them.</summary>
    public static bool HidVariables { get; private set; }

    private static StackOptions HideLanguageHostVariables()
    {
        HidVariables = Environment.GetEnvironmentVariable(StackConfig.ConfigVariable) is { Length: > 2 };
        Environment.SetEnvironmentVariable(StackConfig.ConfigVariable, null);
        Environment.SetEnvironmentVariable(StackConfig.SecretKeysVariable, null);
        return new StackOptions();
    }
}

/// <summary>One run of the program under the mock engine (IsPreview = false: outputs are known).</summary>
public sealed class ProgramRun
{
    public required ImmutableArray<Resource> Resources { get; init; }

    /// <summary>What reached the engine, in registration order (the mock's view: secret flags dropped).</summary>
    public required IReadOnlyList<MockResourceArgs> Registered { get; init; }

    /// <summary>Each resource's args and options as the program built them.</summary>
    public required IReadOnlyList<ResourceTransformationArgs> Built { get; init; }

    /// <summary>The SDK's own log of the run (Log.Warn and friends), captured from its console sink.</summary>
    public required string Log { get; init; }

    public ZtnetStack Component => Resources.OfType<ZtnetStack>().Single();

    public ZtnetProgram Program => Resources.OfType<ZtnetProgram>().Single();

    public MockResourceArgs RegisteredCommand(string name) => Registered.Single(r => r.Type == EngineMocks.CommandType && r.Name == name);

    public IEnumerable<MockResourceArgs> RegisteredCommands => Registered.Where(r => r.Type == EngineMocks.CommandType);

    public ResourceTransformationArgs BuiltCommand(string name) => Built.Single(b => b.Resource is Pulumi.Command.Remote.Command && b.Resource.GetResourceName() == name);

    public static Task<ProgramRun> RunAsync(TestConfig config) => RunAsync<RecordingProgram>(config);

    public static async Task<ProgramRun> RunAsync<TProgram>(TestConfig config) where TProgram : ZtnetProgram, new()
    {
        var registered = new List<MockResourceArgs>();
        var mocks = EngineMocks.Create(registered);
        var (resources, log) = await WithEnvironment(config, () =>
            Deployment.TestAsync<TProgram>(mocks.Object, new TestOptions { IsPreview = false, ProjectName = "ztnet-infra", StackName = "dev" }));
        return new ProgramRun { Resources = resources, Registered = registered, Built = RecordingProgram.Drain(), Log = log };
    }

    /// <summary>Runs the program expecting it to fail; returns the failure and what had reached the engine.</summary>
    public static Task<(Exception Error, IReadOnlyList<MockResourceArgs> Registered, string Log)> FailAsync(TestConfig config) =>
        FailAsync<RecordingProgram>(config);

    public static async Task<(Exception Error, IReadOnlyList<MockResourceArgs> Registered, string Log)> FailAsync<TProgram>(TestConfig config)
        where TProgram : ZtnetProgram, new()
    {
        var registered = new List<MockResourceArgs>();
        var mocks = EngineMocks.Create(registered);
        Exception? error = null;
        var (_, log) = await WithEnvironment(config, async () =>
        {
            try
            {
                await Deployment.TestAsync<TProgram>(mocks.Object, new TestOptions { IsPreview = false, ProjectName = "ztnet-infra", StackName = "dev" });
            }
            catch (Exception e)
            {
                error = e;
            }
            return 0;
        });
        RecordingProgram.Drain();
        return (error ?? throw new Xunit.Sdk.XunitException("the program ran, but it was expected to fail"), registered, log);
    }

    private static readonly string[] Variables = ["PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS", "PULUMI_DOTNET_LOG_VERBOSE", "SSH_AUTH_SOCK"];

    /// <summary>
    /// Config reaches a .NET program in PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS, read when the
    /// deployment starts. The SDK's test engine keeps only errors; warnings are visible only in the
    /// SDK's console logger, which PULUMI_DOTNET_LOG_VERBOSE turns on.
    /// </summary>
    private static async Task<(T Result, string Log)> WithEnvironment<T>(TestConfig config, Func<Task<T>> run)
    {
        var saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
        var originalOut = Console.Out;
        var log = new LogWriter();
        try
        {
            Environment.SetEnvironmentVariable("PULUMI_CONFIG", config.ConfigJson);
            Environment.SetEnvironmentVariable("PULUMI_CONFIG_SECRET_KEYS", config.SecretKeysJson);
            Environment.SetEnvironmentVariable("PULUMI_DOTNET_LOG_VERBOSE", "1");
            Environment.SetEnvironmentVariable("SSH_AUTH_SOCK", config.SshAgentSocket);
            Console.SetOut(log);
            var result = await run();
            return (result, log.Text);
        }
        finally
        {
            Console.SetOut(originalOut);
            foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
        }
    }
}

/// <summary>Collects console output written from any thread (the SDK logs from task continuations).</summary>
internal sealed class LogWriter : TextWriter
{
    private readonly System.Text.StringBuilder text = new();

    public override System.Text.Encoding Encoding => System.Text.Encoding.UTF8;

    public string Text
    {
        get { lock (text) return text.ToString(); }
    }

    public override void Write(char value)
    {
        lock (text) text.Append(value);
    }

    public override void Write(string? value)
    {
        lock (text) text.Append(value);
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (text) text.Append(buffer, index, count);
    }
}
