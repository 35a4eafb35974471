using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Plan;

/// <summary>Steps that prepare the host as root: OS, packages, ports (the account and data directory: <see cref="AccountSteps"/>, <see cref="DataDirSteps"/>).</summary>
internal static class HostSteps
{
    public const string MinimumPodman = "4.7";
    public static readonly string[] Packages = ["podman", "passt", "uidmap", "dbus-user-session", "curl"];

    public static RemoteStep OsCheck(StepFactory f)
    {
        var s = new Script("the host must be Debian or Ubuntu with systemd as init")
            .Line("if [ ! -r /etc/os-release ]; then")
            .Line("  echo \"ztnet-infra: /etc/os-release is missing: this host is not Debian or Ubuntu\" >&2; exit 1")
            .Line("fi")
            .Line("# shellcheck disable=SC1091")
            .Line(". /etc/os-release")
            .Line("case \" ${ID:-} ${ID_LIKE:-} \" in")
            .Line("  *\" debian \"*|*\" ubuntu \"*) ;;")
            .Line("  *) echo \"ztnet-infra: ${PRETTY_NAME:-this OS} is not supported: use Ubuntu 24.04 or newer, or Debian 12 or newer\" >&2; exit 1 ;;")
            .Line("esac")
            .Line("if [ ! -d /run/systemd/system ]; then")
            .Line("  echo \"ztnet-infra: systemd is not the init system here; rootless units need it\" >&2; exit 1")
            .Line("fi")
            .Line("echo \"ztnet-infra: ${PRETTY_NAME:-$ID} with systemd: supported\"");
        return f.Make("host-os", "Check the OS (Debian/Ubuntu, systemd)", StepAccount.Root, s);
    }

    public static RemoteStep HostPackages(StepFactory f)
    {
        var s = new Script($"install {string.Join(' ', Packages)} when missing; podman must be {MinimumPodman} or newer")
            .Line($"packages=({string.Join(' ', Packages.Select(Sh.Quote))})")
            .Line("missing=()")
            .Line("for p in \"${packages[@]}\"; do")
            .Line("  if ! dpkg-query -W -f='${Status}' \"$p\" 2>/dev/null | grep -q 'install ok installed'; then missing+=(\"$p\"); fi")
            .Line("done")
            .Line("if [ \"${#missing[@]}\" -gt 0 ]; then")
            .Line("  echo \"ztnet-infra: installing ${missing[*]}\"")
            .Line("  export DEBIAN_FRONTEND=noninteractive")
            .Line("  apt-get update -q")
            .Line("  apt-get install -y -q \"${missing[@]}\"")
            .Line("else")
            .Line("  echo \"ztnet-infra: ${packages[*]} already installed\"")
            .Line("fi")
            .Line("version=$(podman version --format '{{.Client.Version}}')")
            .Line("major=${version%%.*}")
            .Line("rest=${version#*.}")
            .Line("minor=${rest%%.*}")
            .Line($"if [ \"$major\" -lt {MinimumPodman.Split('.')[0]} ] || {{ [ \"$major\" -eq {MinimumPodman.Split('.')[0]} ] && [ \"$minor\" -lt {MinimumPodman.Split('.')[1]} ]; }}; then")
            .Line($"  echo \"ztnet-infra: podman $version is too old: {MinimumPodman} or newer is needed (secret --replace); Ubuntu 24.04 ships 4.9.3, Debian 13 ships 5.4\" >&2; exit 1")
            .Line("fi")
            .Line("if ! command -v pasta >/dev/null; then")
            .Line("  echo \"ztnet-infra: pasta (package passt) is missing after installation\" >&2; exit 1")
            .Line("fi")
            .Line("echo \"ztnet-infra: podman $version with pasta\"");
        // No Delete: podman and friends may serve other things on this host.
        return f.Make("host-packages", "Install podman, passt, uidmap (only when missing)", StepAccount.Root, s, dependsOn: ["host-os"]);
    }

    public const string SysctlFile = "/etc/sysctl.d/60-ztnet-unprivileged-ports.conf";

    public static RemoteStep? UnprivilegedPorts(StepFactory f, StackSettings st)
    {
        if (st.LowestPublishedPort >= 1024) return null;
        var s = new Script($"let rootless pasta publish ports from {st.LowestPublishedPort} (persisted in {SysctlFile})")
            .Var("file", SysctlFile)
            .Var("want", st.LowestPublishedPort.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Line("tmp=$(mktemp \"$file.XXXXXX\")")
            .Line("printf '# written by ztnet-infra: rootless podman publishes the ZTNet ports\\nnet.ipv4.ip_unprivileged_port_start = %s\\n' \"$want\" > \"$tmp\"")
            .Line("chmod 0644 \"$tmp\"")
            .Line("mv -f \"$tmp\" \"$file\"")
            .Line("if [ \"$(sysctl -n net.ipv4.ip_unprivileged_port_start)\" -gt \"$want\" ]; then")
            .Line("  sysctl -q -w \"net.ipv4.ip_unprivileged_port_start=$want\"")
            .Line("fi")
            .Line("echo \"ztnet-infra: unprivileged ports start at $(sysctl -n net.ipv4.ip_unprivileged_port_start)\"");
        var d = new Script("remove the unprivileged-port setting; the kernel default comes back unless another file sets it")
            .Var("file", SysctlFile)
            .Line("if [ -f \"$file\" ]; then")
            .Line("  rm -f \"$file\"")
            .Line("  sysctl -q -w net.ipv4.ip_unprivileged_port_start=1024")
            .Line("  sysctl -q --system >/dev/null")
            .Line("fi");
        return f.Make("unprivileged-ports", $"Allow unprivileged ports from {st.LowestPublishedPort}", StepAccount.Root, s, delete: d, dependsOn: ["host-os"]);
    }
}
