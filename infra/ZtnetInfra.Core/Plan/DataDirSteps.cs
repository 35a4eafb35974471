using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;
using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Plan;

/// <summary>
/// The data directory: made (or taken when empty) and marked by the stack, refused otherwise; a
/// purge removes only the stack's subdirectories and marker, and the directory itself only when
/// the stack made it, it is empty and it is not a mount point.
/// </summary>
public static class DataDirSteps
{
    public const string StepName = "data-dirs";

    internal static RemoteStep DataDirectories(StepFactory f, StackSettings st)
    {
        var s = new Script($"data directory {st.DataDir} for {st.ServiceUser}: made and marked by this stack, or refused; existing data is left as it is", "data-dirs.create.sh")
            .Var("data", st.DataDir)
            .Var("marker_name", Ownership.MarkerName)
            .Array("subs", ServiceCatalogue.DataSubdirectories)
            .Var("user", st.ServiceUser)
            .Var("records", Ownership.AccountRecords);
        var d = st.RetainDataOnDestroy
            ? new Script($"keep {st.DataDir} (the step is retained on delete: Pulumi runs nothing)", "data-dirs.keep.sh")
                .Var("data", st.DataDir)
            : new Script($"purge {st.DataDir}: the stack's subdirectories and marker; the directory only if the stack made it and nothing else is left", "data-dirs.delete.sh")
                .Var("data", st.DataDir)
                .Var("marker_name", Ownership.MarkerName)
                .Array("subs", ServiceCatalogue.DataSubdirectories)
                .Var("records", Ownership.AccountRecords);
        return f.Make(StepName, $"Data directory {st.DataDir} (made and marked by the stack)", StepAccount.Root, s, delete: d,
            dependsOn: [AccountSteps.AccountStep], retainOnDelete: st.RetainDataOnDestroy);
    }
}
