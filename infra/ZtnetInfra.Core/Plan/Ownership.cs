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
    /// stack added (each written before usermod adds it; a purge removes exactly these), <c>data=</c> directories that hold the account's files. <c>NAME.linger</c>: the stack
    /// turned linger on. <c>NAME.migrate</c>: sub-ids were added to an account podman may have used.
    /// </summary>
    public const string AccountRecords = StateDirectory + "/accounts";

    /// <summary>Root-owned: <c>found=</c> the value of net.ipv4.ip_unprivileged_port_start before the stack first lowered it.</summary>
    public const string SysctlRecord = StateDirectory + "/unprivileged-ports";

    /// <summary>
    /// A root-owned file in the data directory (itself root-owned 0750, group of the service user):
    /// <c>service-user=NAME</c>, <c>directory=created|existing</c>, and for a directory the stack took
    /// over, <c>found=UID:GID:MODE</c> (given back on purge). A new DATA is made as
    /// <c>.NAME.ztnet-infra-new</c> beside it, marked, then renamed into place.
    /// </summary>
    public const string MarkerName = ".ztnet-infra";
}
