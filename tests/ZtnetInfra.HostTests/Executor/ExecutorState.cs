using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ZtnetInfra.Core.Plan;

namespace ZtnetInfra.HostTests.Executor;

/// <summary>
/// What the executor keeps about one applied step, as Pulumi keeps a Command resource: its inputs
/// (the exact commands, so Delete runs the stored text, never one rebuilt from today's settings;
/// a digest of its stdin, never the secrets themselves; its identity values, Pulumi's Triggers),
/// its dependencies (DependsOn and the property dependencies <see cref="IdentityFrom"/>) and its
/// RetainOnDelete option.
/// </summary>
public sealed record StoredStep(
    string Name,
    string Create,
    string? Update,
    string? Delete,
    string StdinSha256,
    ImmutableArray<string> DependsOn,
    ImmutableArray<string> ReplaceOn,
    ImmutableArray<string> IdentityFrom = default,
    bool RetainOnDelete = false)
{
    public static StoredStep Of(RemoteStep step, string stdin) =>
        new(step.Name, step.Create.Command, step.Update?.Command, step.Delete?.Command, Digest(stdin), step.DependsOn, step.ReplaceOn,
            step.IdentityFrom, step.RetainOnDelete);

    /// <summary>Every step it waits for, and that waits for it to be deleted: DependsOn and property dependencies.</summary>
    public IEnumerable<string> Dependencies => DependsOn.Concat(IdentityFrom).Distinct(StringComparer.Ordinal);

    /// <summary>True when an identity value changed (Pulumi's Triggers): the step is replaced, not updated.</summary>
    public bool MustBeReplacedBy(StoredStep other) => !ReplaceOn.SequenceEqual(other.ReplaceOn);

    /// <summary>True when Pulumi would see an input diff: any command or the stdin changed.</summary>
    public bool DiffersFrom(StoredStep other) =>
        Create != other.Create || Update != other.Update || Delete != other.Delete || StdinSha256 != other.StdinSha256;

    /// <summary>Same inputs, other options or dependencies: Pulumi's same step stores them, running nothing.</summary>
    public bool SameInputsOtherwiseStoredAs(StoredStep other) =>
        !DependsOn.SequenceEqual(other.DependsOn) || !IdentityFrom.SequenceEqual(other.IdentityFrom) || RetainOnDelete != other.RetainOnDelete;

    /// <summary>A state written before a field existed reads it as empty.</summary>
    public StoredStep Normalized() => this with
    {
        DependsOn = DependsOn.IsDefault ? [] : DependsOn,
        ReplaceOn = ReplaceOn.IsDefault ? [] : ReplaceOn,
        IdentityFrom = IdentityFrom.IsDefault ? [] : IdentityFrom,
    };

    public static string Digest(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}

/// <summary>
/// The executor's state: applied steps in the order they were created. Saved as JSON when given a
/// path. Safe to use from the executor's parallel steps.
/// </summary>
public sealed class ExecutorState
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private readonly List<StoredStep> _steps = [];
    private readonly string? _path;
    private readonly Lock _lock = new();

    public ExecutorState(string? path = null)
    {
        _path = path;
        if (path is not null && File.Exists(path))
            _steps.AddRange((JsonSerializer.Deserialize<List<StoredStep>>(File.ReadAllText(path), Json) ?? []).Select(s => s.Normalized()));
    }

    public IReadOnlyList<StoredStep> Steps
    {
        get { lock (_lock) return _steps.ToList(); }
    }

    public bool IsEmpty
    {
        get { lock (_lock) return _steps.Count == 0; }
    }

    public StoredStep? Find(string name)
    {
        lock (_lock) return _steps.Find(s => s.Name == name);
    }

    public void Put(StoredStep step)
    {
        lock (_lock)
        {
            var i = _steps.FindIndex(s => s.Name == step.Name);
            if (i >= 0) _steps[i] = step.Normalized();
            else _steps.Add(step.Normalized());
            Save();
        }
    }

    public void Remove(string name)
    {
        lock (_lock)
        {
            _steps.RemoveAll(s => s.Name == name);
            Save();
        }
    }

    private void Save()
    {
        if (_path is not null) File.WriteAllText(_path, JsonSerializer.Serialize(_steps, Json));
    }
}
