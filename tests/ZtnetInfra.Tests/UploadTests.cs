using Pulumi;
using Xunit;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Tests.Harness;
using Remote = Pulumi.Command.Remote;

namespace ZtnetInfra.Tests;

/// <summary>
/// ztnet:restoreFrom file:PATH: the archive on the workstation goes to the host as one
/// Pulumi.Command CopyToRemote over the steps' own (secret) connection, into the inbox the
/// restore-inbox step makes, before the restore step reads it; a file that is not there is
/// refused before anything is registered.
/// </summary>
public class UploadTests
{
    public const string CopyToRemoteType = "command:remote:CopyToRemote";

    [Fact]
    public async Task A_workstation_archive_is_sent_by_CopyToRemote_into_the_inbox_before_the_restore_reads_it()
    {
        var file = Path.Combine(Path.GetTempPath(), $"ztnet-upload-{Guid.NewGuid():N}.tar.gz");
        File.WriteAllText(file, "archive");
        try
        {
            var run = await ProgramRun.RunAsync(TestConfig.Minimal.With("ztnet:restoreFrom", "file:" + file));

            var copy = Assert.Single(run.Registered, r => r.Type == CopyToRemoteType);
            Assert.Equal(RestoreSteps.UploadName, copy.Name);
            Assert.Equal($"{RestoreSteps.Inbox}/{RestoreSteps.UploadFile}", copy.Inputs["remotePath"]);
            var built = run.Built.Single(b => b.Resource is Remote.CopyToRemote);
            var args = Assert.IsType<Remote.CopyToRemoteArgs>(built.Args);
            // A file asset of that path (the SDK keeps the path internal: AssetOrArchive.PropName/Value).
            var source = Assert.IsType<FileAsset>(copy.Inputs["source"]);
            Assert.Equal(("path", file), AssetField(source));
            // The connection is the steps' own, and secret.
            Assert.True(await Values.IsSecret(args.Connection!));
            var restoreArgs = Assert.IsType<Remote.CommandArgs>(run.BuiltCommand(RestoreSteps.StepName).Args);
            Assert.Equal(Values.Canonical(await Values.Of(restoreArgs.Connection!)), Values.Canonical(await Values.Of(args.Connection!)));
            // Inbox, then the upload, then the restore.
            Assert.Equal([RestoreSteps.InboxStep], (await Values.Of(built.Options.DependsOn)).Select(d => d.GetResourceName()));
            Assert.Contains(RestoreSteps.UploadName, (await Values.Of(run.BuiltCommand(RestoreSteps.StepName).Options.DependsOn)).Select(d => d.GetResourceName()));
            Assert.True(run.Registered.ToList().FindIndex(r => r.Name == RestoreSteps.InboxStep) < run.Registered.ToList().FindIndex(r => r.Name == RestoreSteps.UploadName));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static (string?, object?) AssetField(AssetOrArchive a)
    {
        const System.Reflection.BindingFlags Internal = System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance;
        return ((string?)typeof(AssetOrArchive).GetProperty("PropName", Internal)?.GetValue(a), typeof(AssetOrArchive).GetProperty("Value", Internal)?.GetValue(a));
    }

    [Fact]
    public async Task A_workstation_archive_that_is_not_there_is_refused_before_anything_is_registered()
    {
        var (error, registered, _) = await ProgramRun.FailAsync(TestConfig.Minimal.With("ztnet:restoreFrom", "file:/nonexistent/ztnet-backup.tar"));

        Assert.Contains("ztnet:restoreFrom", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("/nonexistent/ztnet-backup.tar is not a file on this workstation", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(registered, r => r.Type!.StartsWith("command:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_a_workstation_archive_nothing_is_copied()
    {
        var run = await ProgramRun.RunAsync(TestConfig.Minimal.With("ztnet:restoreFrom", "host:/root/backup.tar"));

        Assert.DoesNotContain(run.Registered, r => r.Type == CopyToRemoteType);
        Assert.DoesNotContain(run.Registered, r => r.Name == RestoreSteps.InboxStep);
    }
}
