namespace ZtnetInfra.Core.Plan;

/// <summary>What the host must offer, checked by the host-os and host-packages steps before anything is installed.</summary>
public static class HostRequirements
{
    /// <summary>
    /// The oldest podman whose every command and flag we use exists: `secret create --replace`
    /// (4.7) is the newest of them (tests/testhost/README.md has the table).
    /// </summary>
    public const string MinimumPodman = "4.7";

    public static readonly string[] Packages = ["podman", "passt", "uidmap", "dbus-user-session", "curl"];

    /// <summary>What this stack installs: <see cref="Packages"/>, and restic when ztnet:backupRepository is set.</summary>
    public static IReadOnlyList<string> PackagesFor(Settings.StackSettings s) =>
        s.BackupRepository is null ? Packages : [.. Packages, "restic"];

    /// <summary>Seconds apt waits for the dpkg lock (unattended-upgrades holds it on a fresh cloud VM).</summary>
    public const int AptLockSeconds = 600;
}
