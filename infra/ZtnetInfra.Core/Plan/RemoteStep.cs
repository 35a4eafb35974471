using System.Collections.Immutable;

namespace ZtnetInfra.Core.Plan;

/// <summary>Which account a step's script runs as on the host.</summary>
public enum StepAccount
{
    /// <summary>root: directly when the SSH login is root, else through `sudo -n`.</summary>
    Root,

    /// <summary>The service user, inside its own systemd user manager (needs linger).</summary>
    ServiceUser,
}

/// <summary>A secret a step reads from standard input, one per line, in the order the step lists them.</summary>
public enum PlanSecret
{
    PostgresPassword,
    AuthSecret,

    /// <summary>ztnet:backupRepositoryPassword: one line.</summary>
    ResticPassword,

    /// <summary>ztnet:backupRepositoryEnvironment: NAME=value lines; always the last on stdin (it may span lines).</summary>
    ResticEnvironment,
}

/// <summary>What a script is for; the launcher behaves a little differently for Delete.</summary>
public enum ScriptKind
{
    Create,
    Update,
    Delete,

    /// <summary>A read-only script that belongs to no step (`ztnet-infra status`).</summary>
    Read,
}

/// <summary>
/// A script as run on the host: the body (bash) and the exact command sent over SSH, and the files of
/// Scripts/ they are made of (the body's sources and libraries, then the launcher's).
/// </summary>
public sealed record StepScript(ScriptKind Kind, string Body, string Command)
{
    public ImmutableArray<string> Sources { get; init; } = [];

    public bool Equals(StepScript? other) =>
        other is not null && Kind == other.Kind && Body == other.Body && Command == other.Command && Sources.SequenceEqual(other.Sources);

    public override int GetHashCode() => HashCode.Combine(Kind, Body, Command);
}

/// <summary>
/// One remote-command resource: Create runs once, Update on a change (in place), Delete on
/// destroy or when the step disappears, with the text stored when it was created.
/// </summary>
public sealed record RemoteStep
{
    /// <summary>Stable name: the Pulumi resource name. Never contains the position.</summary>
    public required string Name { get; init; }

    public required string Title { get; init; }

    public required StepAccount RunsAs { get; init; }

    public required StepScript Create { get; init; }

    public StepScript? Update { get; init; }

    public StepScript? Delete { get; init; }

    public ImmutableArray<PlanSecret> SecretStdin { get; init; } = [];

    public ImmutableArray<string> DependsOn { get; init; } = [];

    /// <summary>
    /// Identity values: when one changes, the step is replaced (its stored Delete, then Create)
    /// rather than updated in place. A service-user step moved to another user must first be
    /// undone for the old one. Empty for most steps; never content (content changes update).
    /// </summary>
    public ImmutableArray<string> ReplaceOn { get; init; } = [];

    /// <summary>
    /// Steps whose identity (their <see cref="ReplaceOn"/> values, as an output) this step takes
    /// into its own identity: an input property dependency, not just an order. When one of them
    /// is replaced, Pulumi deletes this step first (with its stored Delete), then the replaced
    /// step, and creates this step again afterwards; a <see cref="DependsOn"/> edge alone would
    /// let the replaced step be undone first. Each step named here comes before this one, and its
    /// <see cref="ReplaceOn"/> values are also this step's (the program takes them from its output).
    /// </summary>
    public ImmutableArray<string> IdentityFrom { get; init; } = [];

    /// <summary>
    /// True for a step that holds data the stack keeps (ztnet:retainDataOnDestroy): Pulumi's
    /// RetainOnDelete, so destroy, or a replacement, drops it from the state and runs nothing on the
    /// host (pulumi/pulumi pkg/resource/deploy/step.go, DeleteStep.Apply: `s.old.RetainOnDelete` is a
    /// no-op delete). The option is stored with the resource: a change takes effect with `pulumi up`.
    /// </summary>
    public bool RetainOnDelete { get; init; }

    /// <summary>True when a failing command's output may hold something worth hiding: the adapter logs nothing.</summary>
    public bool Quiet => !SecretStdin.IsEmpty;

    public IEnumerable<StepScript> Scripts => new[] { Create, Update, Delete }.OfType<StepScript>();
}
