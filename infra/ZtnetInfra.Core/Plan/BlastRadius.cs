using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Plan;

/// <summary>
/// Which steps a change to one setting touches: the steps whose commands, dependencies or
/// stdin secrets differ, plus steps that appear or disappear. A step not listed does not run.
/// </summary>
public static class BlastRadius
{
    public static IReadOnlyList<string> Between(DeploymentPlan before, DeploymentPlan after)
    {
        var old = before.Steps.ToDictionary(s => s.Name);
        var now = after.Steps.ToDictionary(s => s.Name);
        // An upload's inputs are its file and its path on the host (a new content of the same file
        // shows only to the engine, which hashes it).
        var oldUploads = before.Uploads.ToDictionary(u => u.Name);
        var newUploads = after.Uploads.ToDictionary(u => u.Name);
        return old.Keys.Union(now.Keys)
            .Where(n => !old.TryGetValue(n, out var a) || !now.TryGetValue(n, out var b) || !Same(a, b))
            .Concat(oldUploads.Keys.Union(newUploads.Keys)
                .Where(n => !oldUploads.TryGetValue(n, out var a) || !newUploads.TryGetValue(n, out var b)
                    || a.LocalPath != b.LocalPath || a.RemotePath != b.RemotePath || !a.DependsOn.SequenceEqual(b.DependsOn)))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// The steps a change of <paramref name="key"/> touches, starting from <paramref name="config"/>,
    /// or null when no other valid value for it could be found.
    /// </summary>
    public static IReadOnlyList<string>? Of(IReadOnlyDictionary<string, ConfigValue> config, SettingKey key)
    {
        if (key.Secret) return null;
        var baseline = Planner.Build(SettingsReader.Read(config));
        config.TryGetValue(key.FullKey, out var current);
        foreach (var candidate in key.ComparisonValues)
        {
            if (current?.Text == candidate) continue;
            var changed = new Dictionary<string, ConfigValue>(config) { [key.FullKey] = ConfigValue.Plain(candidate) };
            var (settings, errors) = SettingsReader.TryRead(changed);
            if (settings is null || errors.Count > 0 || settings == baseline.Settings) continue;
            return Between(baseline, Planner.Build(settings));
        }
        return null;
    }

    private static bool Same(RemoteStep a, RemoteStep b) =>
        a.Create == b.Create && a.Update == b.Update && a.Delete == b.Delete && a.RunsAs == b.RunsAs && a.RetainOnDelete == b.RetainOnDelete
        && a.DependsOn.SequenceEqual(b.DependsOn) && a.SecretStdin.SequenceEqual(b.SecretStdin) && a.ReplaceOn.SequenceEqual(b.ReplaceOn);
}
