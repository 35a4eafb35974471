using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Plan;

/// <summary>Steps that prepare the host as root: OS, packages, ports (the account and data directory: <see cref="AccountSteps"/>, <see cref="DataDirSteps"/>).</summary>
internal static class HostSteps
{
    private const string MinimumPodman = HostRequirements.MinimumPodman;
    private static readonly string[] Packages = HostRequirements.Packages;
    private const int AptLockSeconds = HostRequirements.AptLockSeconds;

    public static RemoteStep OsCheck(StepFactory f)
    {
        var s = new Script("the host must be Debian or Ubuntu on amd64 or arm64, with systemd as init and cgroup v2")
            .Line("if [ ! -r /etc/os-release ]; then")
            .Line("  echo \"ztnet-infra: /etc/os-release is missing: this host is not Debian or Ubuntu\" >&2; exit 1")
            .Line("fi")
            .Line("# shellcheck disable=SC1091")
            .Line(". /etc/os-release")
            .Line("case \" ${ID:-} ${ID_LIKE:-} \" in")
            .Line("  *\" debian \"*|*\" ubuntu \"*) ;;")
            .Line($"  *) echo \"ztnet-infra: ${{PRETTY_NAME:-this OS}} is not supported: use Ubuntu 24.04 or newer, or Debian 13 or newer (podman {MinimumPodman} or newer)\" >&2; exit 1 ;;")
            .Line("esac")
            .Line("arch=$(dpkg --print-architecture)")
            .Line("case \"$arch\" in")
            .Line("  amd64|arm64) ;;")
            .Line("  *) echo \"ztnet-infra: the $arch architecture is not supported: the images are published for amd64 and arm64\" >&2; exit 1 ;;")
            .Line("esac")
            .Line("if [ ! -d /run/systemd/system ]; then")
            .Line("  echo \"ztnet-infra: systemd is not the init system here; rootless units need it\" >&2; exit 1")
            .Line("fi")
            .Line("if [ \"$(stat -fc %T /sys/fs/cgroup)\" != cgroup2fs ]; then")
            .Line("  echo \"ztnet-infra: /sys/fs/cgroup is not cgroup v2: rootless podman under systemd needs the unified hierarchy (boot with systemd.unified_cgroup_hierarchy=1)\" >&2; exit 1")
            .Line("fi")
            .Line("echo \"ztnet-infra: ${PRETTY_NAME:-$ID} ($arch) with systemd and cgroup v2: supported\"");
        return f.Make("host-os", "Check the OS (Debian/Ubuntu, amd64/arm64, systemd, cgroup v2)", StepAccount.Root, s);
    }

    public static RemoteStep HostPackages(StepFactory f)
    {
        var (major, minor) = (MinimumPodman.Split('.')[0], MinimumPodman.Split('.')[1]);
        var apt = $"apt-get -q -o DPkg::Lock::Timeout={AptLockSeconds}";
        var s = new Script($"install {string.Join(' ', Packages)} when missing, only when the podman this host would get is {MinimumPodman} or newer")
            .Line($"packages=({string.Join(' ', Packages.Select(Sh.Quote))})")
            // A Debian version such as 1:4.9.3+ds1-1ubuntu0.2: the epoch dropped, then major.minor.
            .Line("new_enough() {")
            .Line("  local v=${1#*:} maj min")
            .Line("  maj=${v%%.*}; maj=${maj%%[!0-9]*}")
            .Line("  min=${v#*.}; min=${min%%[!0-9]*}")
            .Line("  [ -n \"$maj\" ] && [ -n \"$min\" ] || return 1")
            .Line($"  [ \"$maj\" -gt {major} ] || {{ [ \"$maj\" -eq {major} ] && [ \"$min\" -ge {minor} ]; }}")
            .Line("}")
            .Line("installed() { dpkg-query -W -f='${Status}' \"$1\" 2>/dev/null | grep -q 'install ok installed'; }")
            .Line("missing=()")
            .Line("for p in \"${packages[@]}\"; do")
            .Line("  if ! installed \"$p\"; then missing+=(\"$p\"); fi")
            .Line("done")
            .Line("export DEBIAN_FRONTEND=noninteractive")
            .Line("if [ \"${#missing[@]}\" -gt 0 ]; then")
            .Line($"  {apt} update")
            .Line("  if ! installed podman; then")
            .Line("    candidate=$(apt-cache policy podman | sed -n 's/^ *Candidate: *//p')")
            .Line("    if [ -z \"$candidate\" ] || [ \"$candidate\" = '(none)' ]; then")
            .Line("      echo \"ztnet-infra: this host's package sources offer no podman: nothing was installed\" >&2; exit 1")
            .Line("    fi")
            .Line("    if ! new_enough \"$candidate\"; then")
            .Line($"      echo \"ztnet-infra: this host would install podman $candidate, older than {MinimumPodman}: nothing was installed. Use Ubuntu 24.04 (podman 4.9.3) or Debian 13 (podman 5.4) or newer.\" >&2; exit 1")
            .Line("    fi")
            .Line("  fi")
            .Line("  echo \"ztnet-infra: installing ${missing[*]}\"")
            .Line($"  {apt} install -y \"${{missing[@]}}\"")
            .Line("else")
            .Line("  echo \"ztnet-infra: ${packages[*]} already installed\"")
            .Line("fi")
            .Line("version=$(podman version --format '{{.Client.Version}}')")
            .Line("if ! new_enough \"$version\"; then")
            .Line($"  echo \"ztnet-infra: podman $version is too old: {MinimumPodman} or newer is needed (secret create --replace); Ubuntu 24.04 ships 4.9.3, Debian 13 ships 5.4\" >&2; exit 1")
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
