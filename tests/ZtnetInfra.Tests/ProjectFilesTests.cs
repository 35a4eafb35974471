using Xunit;

namespace ZtnetInfra.Tests;

/// <summary>
/// A file a setting names (ztnet:acmeCaRoot) is read relative to the project directory: the
/// pulumi CLI starts the program in its `main` directory (Pulumi.yaml: infra/ZtnetInfra/).
/// </summary>
public class ProjectFilesTests
{
    [Fact]
    public void The_project_directory_is_the_nearest_one_holding_Pulumi_yaml()
    {
        var root = Path.Combine(Path.GetTempPath(), "ztnet-project-" + Guid.NewGuid().ToString("N"));
        var main = Path.Combine(root, "infra", "ZtnetInfra");
        Directory.CreateDirectory(main);
        File.WriteAllText(Path.Combine(root, "Pulumi.yaml"), "name: ztnet-infra\n");
        try
        {
            Assert.Equal(root, ProjectFiles.ProjectDirectory(main));
            Assert.Equal(root, ProjectFiles.ProjectDirectory(root));
            // ztnet:restoreFrom file:PATH: read from the project directory; handed to the engine,
            // which reads a relative asset path from the program's directory, relative to that.
            Assert.Equal(Path.Combine(root, "backups", "x.tar"), ProjectFiles.FullPath("backups/x.tar", main));
            Assert.Equal(Path.Combine("..", "..", "backups", "x.tar"), ProjectFiles.AssetPath("backups/x.tar", main));
            Assert.Equal("/srv/x.tar", ProjectFiles.AssetPath("/srv/x.tar", main));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
