using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Plan;

/// <summary>Builds the ordered steps for a stack. Pure and deterministic: same settings, same bytes.</summary>
public static class Planner
{
    public static DeploymentPlan Build(StackSettings s)
    {
        var f = new StepFactory(s);
        var steps = new List<RemoteStep>
        {
            HostSteps.OsCheck(f),
            HostSteps.HostPackages(f, s),
            AccountSteps.ServiceAccount(f, s),
            AccountSteps.Linger(f, s),
        };
        var ports = HostSteps.UnprivilegedPorts(f, s);
        if (ports is not null) steps.Add(ports);
        steps.Add(DataDirSteps.DataDirectories(f, s));
        steps.Add(PodSteps.Secrets(f));
        steps.Add(PodSteps.PodmanSocket(f));
        steps.Add(PodSteps.Images(f, s));
        steps.Add(BackupSteps.Backups(f, s));
        steps.Add(BackupSteps.ImageBackup(f, s));

        // The engine runs every step it can at once. Steps that reload or restart units of the one
        // user manager (daemon-reload, enable --now, try-restart) are kept one after the other: the
        // socket before the pod, then one unit at a time.
        var units = UnitBuilder.All(s);
        var podDeps = new List<string> { "service-user", "podman-socket" };
        if (ports is not null) podDeps.Add(ports.Name);
        var podStep = PodSteps.Unit(f, units[0], "unit-ztnet-pod", podDeps, containerName: null);
        steps.Add(podStep);
        var unitSteps = new List<string> { podStep.Name };
        foreach (var (c, unit) in ServiceCatalogue.Containers.Zip(units.Skip(1)))
        {
            var deps = new List<string> { podStep.Name, "data-dirs", "images" };
            if (UsesSecrets(unit)) deps.Add("podman-secrets");
            if (BackupSteps.GuardedContainers.Contains(c)) deps.Add(BackupSteps.ImageBackupStep);
            if (unitSteps.Count > 1) deps.Add(unitSteps[^1]);
            var step = PodSteps.Unit(f, unit, $"unit-{c.Name}", deps, c.Name,
                c == ServiceCatalogue.Postgres ? s : null,
                c == ServiceCatalogue.Caddy ? (CaddyConfig.HostPath(s), CaddyConfig.Json(s)) : null,
                c == ServiceCatalogue.Caddy ? (CaddyConfig.CaRootHostPath(s), s.AcmeCaRootPem) : null);
            steps.Add(step);
            unitSteps.Add(step.Name);
        }
        // A restore lands after the unit files (it starts PostgreSQL alone) and before anything else starts.
        var enableDeps = new List<string>(unitSteps);
        if (RestoreSteps.InboxDirectory(f, s) is { } inbox) steps.Add(inbox);
        if (RestoreSteps.Restore(f, s, [DataDirSteps.StepName, BackupSteps.BackupsStep, unitSteps[^1]]) is { } restore)
        {
            steps.Add(restore);
            enableDeps.Add(restore.Name);
        }
        steps.Add(PodSteps.Enable(f, enableDeps));
        steps.Add(PodSteps.DatabasePassword(f));

        var gateDeps = new List<string> { "enable-units", "database-password", "podman-socket", BackupSteps.BackupsStep };
        steps.Add(HealthGate.Make(f, s, steps, gateDeps));
        return new DeploymentPlan(s, [.. steps], [.. units])
        {
            Uploads = RestoreSteps.Upload(s) is { } upload ? [upload] : [],
        };
    }

    private static bool UsesSecrets(UnitFile unit) =>
        unit.Values("Service", "ExecStart").Any(v => v.Contains("--secret", StringComparison.Ordinal));
}
