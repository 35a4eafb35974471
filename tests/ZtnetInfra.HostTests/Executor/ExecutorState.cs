using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ZtnetInfra.Core.Plan;

namespace ZtnetInfra.HostTests.Executor;

/// <summary>
/// What the executor keeps about one applied step, as Pulumi keeps a Command resource's inputs:
/// the exact commands (so Delete runs the stored text, never one rebuilt from today's settings),
/// a digest of its stdin (never the secrets themselves), its dependencies, its identity values and
/// its RetainOnDelete option (stored with the resource, as Pulumi stores resource options).
/// </summary>
public sealed record StoredStep(
    string Name,
    string Create,
    string? Update,
    string? Delete,
    string StdinSha256,
    ImmutableArray<string> DependsOn,
    ImmutableArray<string> ReplaceOn,
    bool RetainOnDelete = false)
{
    public static StoredStep Of(RemoteStep step, string stdin) =>
        new(step.Name, step.Create.Command, step.Update?.Command, step.Delete?.Command, Digest(stdin), step.DependsOn, step.ReplaceOn, step.RetainOnDelete);

    /// <summary>True when an identity value changed (Pulumi's Triggers): the step is replaced, not updated.</summary>
    public bool MustBeReplacedBy(StoredStep other) => !ReplaceOn.SequenceEqual(other.ReplaceOn);

    /// <summary>True when Pulumi would see an input diff: any command or the stdin changed.</summary>
    public bool DiffersFrom(StoredStep other) =>
        Create != other.Create || Update != other.Update || Delete != other.Delete || StdinSha256 != other.StdinSha256;

    public static string Digest(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

/// <summary>The executor's state: applied steps in the order they were created. Saved as JSON when given a path.</summary>
public sealed class ExecutorState
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly List<StoredStep> _steps = [];
    private readonly string? _path;

    public ExecutorState(string? path = null)
    {
        _path = path;
        if (path is not null && File.Exists(path))
            _steps.AddRange(JsonSerializer.Deserialize<List<StoredStep>>(File.ReadAllText(path), Json) ?? []);
    }

    public IReadOnlyList<StoredStep> Steps => _steps;

    public bool IsEmpty => _steps.Count == 0;

    public StoredStep? Find(string name) => _steps.Find(s => s.Name == name);

    public void Put(StoredStep step)
    {
        var i = _steps.FindIndex(s => s.Name == step.Name);
        if (i >= 0) _steps[i] = step;
        else _steps.Add(step);
        Save();
    }

    public void Remove(string name)
    {
        _steps.RemoveAll(s => s.Name == name);
        Save();
    }

    private void Save()
    {
        if (_path is not null) File.WriteAllText(_path, JsonSerializer.Serialize(_steps, Json));
    }
}
