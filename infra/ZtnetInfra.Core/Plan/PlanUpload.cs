using System.Collections.Immutable;

namespace ZtnetInfra.Core.Plan;

/// <summary>
/// A file sent from the workstation to the host: one Pulumi.Command remote.CopyToRemote
/// (pulumi-command v1.2.1, provider/pkg/provider/remote/copy.go). The provider writes it over SFTP
/// as the SSH login (no sudo), makes a missing parent directory, and overwrites a file already
/// there; it copies again only when the file's content hash or the remote path changes; its delete
/// leaves the file on the host (the resource has no delete of its own), so the step that made its
/// directory takes it away.
/// </summary>
public sealed record PlanUpload
{
    /// <summary>Stable name: the Pulumi resource name, in the same namespace as the steps'.</summary>
    public required string Name { get; init; }

    public required string Title { get; init; }

    /// <summary>As the setting names it: absolute, or relative to the project directory (the one holding Pulumi.yaml).</summary>
    public required string LocalPath { get; init; }

    /// <summary>Absolute path of the file on the host.</summary>
    public required string RemotePath { get; init; }

    /// <summary>Steps that must have run first (the one that makes its directory).</summary>
    public ImmutableArray<string> DependsOn { get; init; } = [];
}
