namespace ZtnetInfra.Core.Plan;

/// <summary>
/// Where the stack records on the host what it made, so that a delete touches only that.
/// Records are root's: the service user can neither write nor replace them.
/// </summary>
public static class Ownership
{
    /// <summary>Root-owned (0755): one record per service account, named after it.</summary>
    public const string StateDirectory = "/var/lib/ztnet-infra";

    /// <summary>
    /// <c>accounts/NAME</c>: <c>origin=created|adopted</c>, <c>uid=</c>, <c>subuid=</c>/<c>subgid=</c> ranges the
    /// stack added, <c>data=</c> directories that hold the account's files. <c>NAME.linger</c>: the stack
    /// turned linger on. <c>NAME.migrate</c>: sub-ids were added to an account podman may have used.
    /// </summary>
    public const string AccountRecords = StateDirectory + "/accounts";

    /// <summary>A root-owned file in the data directory: <c>service-user=NAME</c>, <c>directory=created|existing</c>.</summary>
    public const string MarkerName = ".ztnet-infra";
}
