using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Plan;

/// <summary>Steps that prepare the host as root: OS, packages, ports (the account and data directory: <see cref="AccountSteps"/>, <see cref="DataDirSteps"/>).</summary>
public static class HostSteps
{
    internal static RemoteStep OsCheck(StepFactory f)
    {
        var s = new Script("the host must be Debian or Ubuntu on amd64 or arm64, with systemd as init and cgroup v2", "host-os.create.sh")
            .Var("minimum_podman", HostRequirements.MinimumPodman);
        return f.Make("host-os", "Check the OS (Debian/Ubuntu, amd64/arm64, systemd, cgroup v2)", StepAccount.Root, s);
    }

    internal static RemoteStep HostPackages(StepFactory f, StackSettings st)
    {
        var packages = HostRequirements.PackagesFor(st);
        var s = new Script($"install {string.Join(' ', packages)} when missing, only when the podman this host would get is {HostRequirements.MinimumPodman} or newer", "host-packages.create.sh")
            .Array("packages", packages)
            .Var("minimum_podman", HostRequirements.MinimumPodman)
            .Var("apt_lock_seconds", HostRequirements.AptLockSeconds);
        // No Delete: podman and friends may serve other things on this host.
        return f.Make("host-packages", $"Install {string.Join(", ", packages)} (only when missing)", StepAccount.Root, s, dependsOn: ["host-os"]);
    }

    public const string SysctlFile = "/etc/sysctl.d/60-ztnet-unprivileged-ports.conf";

    /// <summary>The text of <see cref="SysctlFile"/> (also what `ztnet-infra status` compares the host's with).</summary>
    public static string SysctlContent(StackSettings st) =>
        $"# written by ztnet-infra: rootless podman publishes the ZTNet ports\nnet.ipv4.ip_unprivileged_port_start = {st.LowestPublishedPort}\n";

    internal static RemoteStep? UnprivilegedPorts(StepFactory f, StackSettings st)
    {
        if (st.LowestPublishedPort >= 1024) return null;
        var s = new Script($"let rootless pasta publish ports from {st.LowestPublishedPort} (persisted in {SysctlFile})", "unprivileged-ports.create.sh")
            .Var("file", SysctlFile)
            .Text("content", SysctlContent(st))
            .Var("want", st.LowestPublishedPort)
            .Var("state", Ownership.StateDirectory)
            .Var("record", Ownership.SysctlRecord);
        var d = new Script($"remove the unprivileged-port setting; put back the value found before the stack ({Ownership.SysctlRecord})", "unprivileged-ports.delete.sh")
            .Var("file", SysctlFile)
            .Var("record", Ownership.SysctlRecord);
        return f.Make("unprivileged-ports", $"Allow unprivileged ports from {st.LowestPublishedPort}", StepAccount.Root, s, delete: d, dependsOn: ["host-os"]);
    }
}
