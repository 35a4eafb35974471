namespace ZtnetInfra.Core.Settings;

/// <summary>
/// Where ztnet:dataDir may not be, and why. The data directory is made, chowned to the service
/// user and (with retainDataOnDestroy false) deleted whole by the stack, and it must outlive
/// reboots: so it is never a place that belongs to an account, to the system's packages, to the
/// kernel, or that is emptied or cleaned by the system. Everything not listed here is allowed,
/// for example /srv/NAME, /opt/NAME, /var/lib/NAME, /mnt/NAME (a data disk mounted by the
/// administrator) and /data/NAME, and any directory below them.
/// </summary>
/// <remarks>
/// A home outside /home (useradd --home-dir /srv/alice) cannot be known offline: the data-dirs
/// step still checks every account's home on the host before it touches anything.
/// </remarks>
public static class DataDirectoryRules
{
    /// <summary>One refused place.</summary>
    /// <param name="Path">An absolute path without a trailing slash.</param>
    /// <param name="Below">True: the path and everything below it are refused. False: only the path itself (a directory of its own is wanted below it).</param>
    /// <param name="Reason">Why, in words the error message shows.</param>
    public sealed record Rule(string Path, bool Below, string Reason);

    private const string OwnDirectory = "the data directory must be a directory of its own below it (a purge removes the data directory whole, and the stack chowns it to the service user)";

    public static IReadOnlyList<Rule> All { get; } =
    [
        new("/", false, OwnDirectory),
        // Accounts' homes: the host refuses them only mid-apply (after packages and the service account exist), and a purge would delete the service account's home with it.
        new("/home", true, "home directories belong to their accounts (the host would refuse it mid-apply, after packages and the service account are in place)"),
        new("/root", true, "it is root's home directory"),
        // The installed system, owned by packages.
        new("/etc", true, "it holds the host's configuration"),
        new("/usr", true, "it holds the installed system, owned by its packages"),
        new("/bin", true, "it holds the installed system (on current Debian and Ubuntu a link into /usr)"),
        new("/sbin", true, "it holds the installed system (on current Debian and Ubuntu a link into /usr)"),
        new("/lib", true, "it holds the installed system (on current Debian and Ubuntu a link into /usr)"),
        new("/lib32", true, "it holds the installed system (on current Debian and Ubuntu a link into /usr)"),
        new("/lib64", true, "it holds the installed system (on current Debian and Ubuntu a link into /usr)"),
        new("/libx32", true, "it holds the installed system (on current Debian and Ubuntu a link into /usr)"),
        new("/boot", true, "it holds the kernels and the boot loader, often on a small partition of its own"),
        new("/snap", true, "it is managed by snapd"),
        new("/lost+found", true, "it belongs to fsck"),
        // Kernel file systems and places emptied at boot: the database and the ZeroTier identity would be lost.
        new("/proc", true, "it is a kernel file system, not a real directory"),
        new("/sys", true, "it is a kernel file system, not a real directory"),
        new("/dev", true, "it holds device files on a kernel file system (devtmpfs; /dev/shm is emptied at boot)"),
        new("/run", true, "it is emptied at boot (tmpfs)"),
        new("/var/run", true, "it is a link to /run, which is emptied at boot"),
        new("/var/lock", true, "it is a link into /run, which is emptied at boot"),
        new("/tmp", true, "it is emptied at boot or cleaned by systemd-tmpfiles (files unused for 10 days)"),
        new("/var/tmp", true, "systemd-tmpfiles deletes files there that were not used for 30 days"),
        // /var's own places, each with its owner.
        new("/var", false, OwnDirectory),
        new("/var/lib", false, "it holds every package's state; " + OwnDirectory),
        new("/var/lib/dpkg", true, "it is the package manager's database"),
        new("/var/lib/apt", true, "it is the package manager's state"),
        new("/var/lib/systemd", true, "it is systemd's state (linger, timers)"),
        new("/var/lib/containers", true, "it is root's Podman storage"),
        new("/var/lib/ztnet-infra", true, "it holds this stack's own records of what it made on the host"),
        new("/var/log", true, "it holds logs, rotated and cleaned by logrotate and journald"),
        new("/var/cache", true, "a cache may be deleted at any time (FHS): apt and others clean it"),
        new("/var/spool", true, "it holds queues (mail, cron, printing) that their services empty"),
        new("/var/mail", true, "it holds the accounts' mailboxes"),
        new("/opt", false, OwnDirectory),
        new("/srv", false, OwnDirectory),
        new("/mnt", false, OwnDirectory + "; a disk mounted at /mnt/NAME is fine"),
        // Removable media: mounted by desktop sessions (udisks2 uses /media/USER/LABEL) and absent while unplugged or before a login,
        // so the pod would start on an empty directory of the root file system.
        new("/media", true, "it is for removable media, mounted only while plugged in (and by desktop sessions): mount a data disk at /mnt/NAME or /srv/NAME instead"),
    ];

    /// <summary>The rule that refuses a normalised absolute path (no '.', '..' or empty parts), or null.</summary>
    public static Rule? Refusing(string path) =>
        All.FirstOrDefault(r => path == r.Path)
        ?? All.Where(r => r.Below && path.StartsWith(r.Path + "/", StringComparison.Ordinal)).MaxBy(r => r.Path.Length);

    /// <summary>The problem text for a refused path.</summary>
    public static string Problem(string path, Rule rule) =>
        rule.Below
            ? (path == rule.Path ? $"must not be {rule.Path}" : $"must not be under {rule.Path}") + $": {rule.Reason}"
            : $"must not be {rule.Path} itself: {rule.Reason}";
}
