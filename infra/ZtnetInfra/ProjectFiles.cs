namespace ZtnetInfra;

/// <summary>
/// Files a setting names on the workstation (ztnet:acmeCaRoot). A relative path is taken from the
/// project directory, the one holding Pulumi.yaml: the CLI starts the program in its `main`
/// directory (infra/ZtnetInfra/), so the working directory alone would not do.
/// </summary>
public static class ProjectFiles
{
    public static string Read(string path) => File.ReadAllText(FullPath(path));

    /// <summary>The file a setting names, as an absolute path (a relative one from the project directory).</summary>
    public static string FullPath(string path) => FullPath(path, Environment.CurrentDirectory);

    public static string FullPath(string path, string workingDirectory) => Path.GetFullPath(Path.Combine(ProjectDirectory(workingDirectory), path));

    /// <summary>
    /// The path to hand the engine for a file asset: the engine reads a relative asset path from the
    /// program's working directory, so a relative setting is made relative to that; an absolute one
    /// stays as it is. Either way it is the same text on every workstation with the same layout.
    /// </summary>
    public static string AssetPath(string path) => AssetPath(path, Environment.CurrentDirectory);

    public static string AssetPath(string path, string workingDirectory) =>
        Path.IsPathRooted(path) ? path : Path.GetRelativePath(workingDirectory, FullPath(path, workingDirectory));

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
