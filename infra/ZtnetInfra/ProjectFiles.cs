namespace ZtnetInfra;

/// <summary>
/// Files a setting names on the workstation (ztnet:acmeCaRoot). A relative path is taken from the
/// project directory, the one holding Pulumi.yaml: the CLI starts the program in its `main`
/// directory (infra/ZtnetInfra/), so the working directory alone would not do.
/// </summary>
public static class ProjectFiles
{
    public static string Read(string path) => File.ReadAllText(Path.Combine(ProjectDirectory(Environment.CurrentDirectory), path));

    /// <summary>The nearest directory at or above <paramref name="start"/> holding Pulumi.yaml (or .yml); else <paramref name="start"/>.</summary>
    public static string ProjectDirectory(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pulumi.yaml")) || File.Exists(Path.Combine(dir.FullName, "Pulumi.yml"))) return dir.FullName;
        }
        return start;
    }
}
