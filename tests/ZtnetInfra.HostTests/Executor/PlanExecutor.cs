using System.Globalization;
using ZtnetInfra.Core.Plan;

namespace ZtnetInfra.HostTests.Executor;

/// <summary>One SSH command the executor ran, as written to its log.</summary>
public sealed record CommandRecord(
    string Step,
    ScriptKind Kind,
    string Command,
    string StdinSha256,
    SshResult Result);

/// <summary>A step's command failed: the deployment stops there, as `pulumi up` does.</summary>
public sealed class StepFailedException(CommandRecord record)
    : Exception($"step {record.Step} ({record.Kind.ToString().ToLowerInvariant()}) failed with exit code {record.Result.ExitCode}:\n"
                + Tail(record.Result.Stderr) + Tail(record.Result.Stdout))
{
    public CommandRecord Record { get; } = record;

    private static string Tail(string text)
    {
        var lines = text.TrimEnd().Split('\n');
        return lines.Length == 0 || text.Length == 0 ? "" : string.Join('\n', lines.TakeLast(25)) + "\n";
    }
}

/// <summary>
/// Applies a <see cref="DeploymentPlan"/> over SSH with Pulumi.Command's lifecycle, for tests:
/// <list type="bullet">
/// <item>a step not in the state runs Create once, in dependency order;</item>
/// <item>a step whose commands or stdin changed runs its new Update, or its new Create when it has none (in place);</item>
/// <item>a step whose identity values (<see cref="RemoteStep.ReplaceOn"/>, Pulumi's Triggers) changed is replaced:
/// its stored Delete, and those of the applied steps depending on it, run first (delete before replace), then Create;</item>
/// <item>an unchanged step runs nothing;</item>
/// <item>a step that left the plan, and every step on destroy, runs its <b>stored</b> Delete, dependents first,
/// unless it was stored with RetainOnDelete: then it only leaves the state;</item>
/// <item>secrets travel only on stdin; the state and the log keep a digest of it.</item>
/// </list>
/// Steps run one at a time (Pulumi may run independent ones in parallel; the order here is one it could pick).
/// Every SSH command is recorded and written to the log.
/// </summary>
public sealed class PlanExecutor(ISshRunner ssh, ExecutorState state, TextWriter log)
{
    private readonly List<CommandRecord> _records = [];

    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(20);

    /// <summary>Every command run by this executor, in order.</summary>
    public IReadOnlyList<CommandRecord> Records => _records;

    public ExecutorState State => state;

    /// <summary>Brings the host to <paramref name="plan"/>; returns the commands this apply ran.</summary>
    public IReadOnlyList<CommandRecord> Apply(DeploymentPlan plan, IReadOnlyDictionary<PlanSecret, string> secrets)
    {
        var start = _records.Count;
        Log($"apply to {ssh.Target}: {plan.Steps.Length} steps in the plan, {state.Steps.Count} in the state");
        var stdins = plan.Steps.ToDictionary(s => s.Name, s => s.SecretStdin.IsEmpty ? "" : DeploymentPlan.ComposeStdin(s, secrets));

        // Replacements first, as Pulumi does with Triggers and DeleteBeforeReplace: the stored Delete
        // of each step whose identity changed, and of every applied step that depends on one, dependents
        // first; their Creates then run in the forward pass below.
        var replaced = plan.Steps
            .Where(s => state.Find(s.Name) is { } stored && stored.MustBeReplacedBy(StoredStep.Of(s, stdins[s.Name])))
            .Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        for (var grew = replaced.Count > 0; grew;)
        {
            var more = state.Steps.Where(s => !replaced.Contains(s.Name) && s.DependsOn.Any(replaced.Contains)).Select(s => s.Name).ToList();
            replaced.UnionWith(more);
            grew = more.Count > 0;
        }
        DeleteAll(state.Steps.Where(s => replaced.Contains(s.Name)).ToList());

        foreach (var step in DependencyOrder(plan.Steps.Select(s => (s.Name, (IReadOnlyList<string>)s.DependsOn)).ToList())
                     .Select(plan.Step))
        {
            var stdin = stdins[step.Name];
            var wanted = StoredStep.Of(step, stdin);
            var stored = state.Find(step.Name);
            if (stored is null)
            {
                Run(step.Name, step.Create, stdin);
                state.Put(wanted);
            }
            else if (stored.DiffersFrom(wanted))
            {
                Run(step.Name, step.Update ?? step.Create, stdin);
                state.Put(wanted);
            }
            else if (stored != wanted)
            {
                // Options alone (RetainOnDelete): a same step that stores the new options and calls no provider
                // (pulumi/pulumi pkg/resource/deploy/step.go, SameStep.Apply keeps the new state).
                state.Put(wanted);
            }
        }

        var planned = plan.Steps.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        DeleteAll(state.Steps.Where(s => !planned.Contains(s.Name)).ToList());
        return _records.Skip(start).ToList();
    }

    /// <summary>Runs the stored Delete of every step, dependents first; the state ends empty.</summary>
    public IReadOnlyList<CommandRecord> Destroy()
    {
        var start = _records.Count;
        Log($"destroy on {ssh.Target}: {state.Steps.Count} steps in the state");
        DeleteAll(state.Steps.ToList());
        return _records.Skip(start).ToList();
    }

    private void DeleteAll(IReadOnlyList<StoredStep> steps)
    {
        var byName = steps.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var order = DependencyOrder(steps.Select(s => (s.Name, (IReadOnlyList<string>)s.DependsOn.Where(byName.ContainsKey).ToList())).ToList());
        foreach (var name in order.AsEnumerable().Reverse())
        {
            var stored = byName[name];
            // RetainOnDelete: dropped from the state, nothing runs (pulumi/pulumi pkg/resource/deploy/step.go, DeleteStep.Apply).
            if (stored.RetainOnDelete)
                Log($"### {name} delete: retained on delete, dropped from the state without running anything");
            else if (stored.Delete is not null)
                Run(name, new StepScript(ScriptKind.Delete, "", stored.Delete), "");
            state.Remove(name);
        }
    }

    private void Run(string step, StepScript script, string stdin)
    {
        var result = ssh.Run(script.Command, stdin, CommandTimeout);
        var record = new CommandRecord(step, script.Kind, script.Command, StoredStep.Digest(stdin), result);
        _records.Add(record);
        Log(string.Create(CultureInfo.InvariantCulture,
            $"### {step} {script.Kind.ToString().ToLowerInvariant()}: exit {result.ExitCode} after {result.Duration.TotalSeconds:0.0} s, stdin sha256 {record.StdinSha256}"));
        Log("--- command");
        Log(script.Command.TrimEnd());
        if (result.Stdout.Length > 0) Log("--- stdout\n" + result.Stdout.TrimEnd());
        if (result.Stderr.Length > 0) Log("--- stderr\n" + result.Stderr.TrimEnd());
        if (result.ExitCode != 0) throw new StepFailedException(record);
    }

    private void Log(string line)
    {
        log.WriteLine(line);
        log.Flush();
    }

    /// <summary>Topological order of the named steps (Kahn), ties broken by the order given.</summary>
    public static IReadOnlyList<string> DependencyOrder(IReadOnlyList<(string Name, IReadOnlyList<string> DependsOn)> steps)
    {
        var names = steps.Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, deps) in steps)
        foreach (var d in deps.Where(d => !names.Contains(d)))
            throw new InvalidOperationException($"step {name} depends on {d}, which is not in the plan");
        var done = new HashSet<string>(StringComparer.Ordinal);
        var order = new List<string>();
        while (order.Count < steps.Count)
        {
            var next = steps.FirstOrDefault(s => !done.Contains(s.Name) && s.DependsOn.All(done.Contains));
            if (next.Name is null)
                throw new InvalidOperationException("the steps' dependencies form a cycle: " + string.Join(", ", steps.Where(s => !done.Contains(s.Name)).Select(s => s.Name)));
            done.Add(next.Name);
            order.Add(next.Name);
        }
        return order;
    }
}
