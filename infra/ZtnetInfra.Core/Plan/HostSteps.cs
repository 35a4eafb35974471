using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Plan;

/// <summary>Steps that prepare the host as root: OS, packages, service user, ports, directories.</summary>
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

    public static RemoteStep ServiceUser(StepFactory f, StackSettings st)
    {
        var s = new Script($"service user {st.ServiceUser}: account, subordinate ids, linger, running user manager")
            .Var("user", st.ServiceUser)
            .Line("if ! id -u \"$user\" >/dev/null 2>&1; then")
            .Line("  useradd --create-home --user-group --shell /usr/sbin/nologin --comment 'ZTNet rootless pod' \"$user\"")
            .Line("  echo \"ztnet-infra: created user $user\"")
            .Line("fi")
            .Line("added=0")
            .Line("for kind in uid gid; do")
            .Line("  file=/etc/sub$kind")
            .Line("  touch \"$file\"")
            .Line("  if ! grep -q \"^$user:\" \"$file\"; then")
            .Line("    start=$(awk -F: 'BEGIN { m = 100000 } $2 + $3 > m { m = $2 + $3 } END { print m }' \"$file\")")
            .Line("    usermod \"--add-sub${kind}s\" \"$start-$((start + 65535))\" \"$user\"")
            .Line("    echo \"ztnet-infra: sub${kind}s $start-$((start + 65535)) for $user\"")
            .Line("    added=1")
            .Line("  fi")
            .Line("done")
            .Line("loginctl enable-linger \"$user\"")
            .Line("uid=$(id -u \"$user\")")
            .Line("for _ in $(seq 1 90); do")
            .Line("  if [ -S \"/run/user/$uid/bus\" ] && [ -S \"/run/user/$uid/systemd/private\" ]; then break; fi")
            .Line("  sleep 1")
            .Line("done")
            .Line("if [ ! -S \"/run/user/$uid/systemd/private\" ]; then")
            .Line("  echo \"ztnet-infra: the user manager of $user did not start; see: systemctl status user@$uid.service\" >&2; exit 1")
            .Line("fi")
            .Line("if [ ! -S \"/run/user/$uid/bus\" ]; then")
            .Line("  echo \"ztnet-infra: no user D-Bus for $user (package dbus-user-session); rootless podman needs it\" >&2; exit 1")
            .Line("fi")
            .Line("if [ \"$added\" -eq 1 ]; then")
            .Line("  (cd / && runuser -u \"$user\" -- env HOME=\"$(getent passwd \"$user\" | cut -d: -f6)\" XDG_RUNTIME_DIR=\"/run/user/$uid\" podman system migrate) || true")
            .Line("fi")
            .Line("echo \"ztnet-infra: user $user (uid $uid) lingers; its user manager runs\"");

        var d = new Script(st.RetainDataOnDestroy
                ? $"stop {st.ServiceUser}'s user manager; keep the account (it owns the kept data)"
                : $"purge: remove {st.ServiceUser}, its home, images and subordinate ids")
            .Var("user", st.ServiceUser)
            .Line("if ! id -u \"$user\" >/dev/null 2>&1; then echo \"ztnet-infra: no user $user\"; exit 0; fi")
            .Line("loginctl disable-linger \"$user\" || true");
        if (st.RetainDataOnDestroy)
        {
            d.Line("echo \"ztnet-infra: linger off for $user; the account stays (ztnet:retainDataOnDestroy is true)\"");
        }
        else
        {
            d.Line("loginctl terminate-user \"$user\" 2>/dev/null || true")
             .Line("for _ in $(seq 1 30); do pgrep -u \"$user\" >/dev/null || break; sleep 1; done")
             .Line("pkill -KILL -u \"$user\" 2>/dev/null || true")
             .Line("userdel --remove \"$user\" 2>/dev/null || userdel \"$user\"")
             .Line("sed -i \"/^$user:/d\" /etc/subuid /etc/subgid")
             .Line("echo \"ztnet-infra: removed user $user (ztnet:retainDataOnDestroy is false)\"");
        }
        return f.Make("service-user", $"Service user {st.ServiceUser}, subuid/subgid, linger", StepAccount.Root, s, delete: d, dependsOn: ["host-packages"]);
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

    public static RemoteStep DataDirectories(StepFactory f, StackSettings st)
    {
        var s = new Script($"data directories under {st.DataDir}, owned by {st.ServiceUser}; existing data is left as it is")
            .Var("user", st.ServiceUser)
            .Var("data", st.DataDir)
            .Line("group=$(id -gn \"$user\")")
            .Line($"for d in \"$data\" {string.Join(' ', ServiceCatalogue.DataSubdirectories.Select(sub => $"\"$data\"/{Sh.Quote(sub)}"))}; do")
            .Line("  if [ ! -d \"$d\" ]; then")
            .Line("    install -d -m 0700 -o \"$user\" -g \"$group\" \"$d\"")
            .Line("    echo \"ztnet-infra: created $d\"")
            .Line("  elif [ \"$(stat -c %u \"$d\")\" = 0 ]; then")
            .Line("    chown \"$user:$group\" \"$d\"")
            .Line("    echo \"ztnet-infra: $d now belongs to $user\"")
            .Line("  fi")
            .Line("done");
        var d = new Script(st.RetainDataOnDestroy ? $"keep {st.DataDir} (retainDataOnDestroy)" : $"purge {st.DataDir}")
            .Var("data", st.DataDir);
        if (st.RetainDataOnDestroy)
            d.Line("echo \"ztnet-infra: keeping $data: a new stack reuses it (ztnet:retainDataOnDestroy is true)\"");
        else
            d.Line("rm -rf --one-file-system -- \"$data\"").Line("echo \"ztnet-infra: removed $data (ztnet:retainDataOnDestroy is false)\"");
        return f.Make("data-dirs", $"Data directories under {st.DataDir}", StepAccount.Root, s, delete: d, dependsOn: ["service-user"]);
    }
}
