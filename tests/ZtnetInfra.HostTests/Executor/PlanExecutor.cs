using System.Globalization;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.HostTests.Executor;

/// <summary>One SSH command the executor ran, as written to its log.</summary>
public sealed record CommandRecord(
    string Step,
    ScriptKind Kind,
    string Command,
    string StdinSha256,
    SshResult Result);

/// <summary>
/// A step's command failed. Thrown at the end of the apply, once every step already running has
/// finished, as `pulumi up` reports its failures; <see cref="Failures"/> holds every failed command.
/// </summary>
public sealed class StepFailedException(CommandRecord record)
    : Exception($"step {record.Step} ({record.Kind.ToString().ToLowerInvariant()}) failed with exit code {record.Result.ExitCode}:\n"
                + Tail(record.Result.Stderr) + Tail(record.Result.Stdout))
{
    public CommandRecord Record { get; } = record;

    public IReadOnlyList<CommandRecord> Failures { get; init; } = [record];

    private static string Tail(string text)
    {
        var lines = text.TrimEnd().Split('\n');
        return lines.Length == 0 || text.Length == 0 ? "" : string.Join('\n', lines.TakeLast(25)) + "\n";
    }
}

/// <summary>How the engine is asked to run, as `pulumi up` flags.</summary>
public sealed record ExecutorOptions
{
    /// <summary>
    /// `pulumi up --parallel` when unset: 4 × GOMAXPROCS, i.e. four per CPU (pulumi/pulumi
    /// pkg/cmd/pulumi/operations/up.go, defaultParallel; PULUMI_PARALLEL overrides it there).
    /// </summary>
    public static int DefaultParallel => Environment.ProcessorCount * 4;

    /// <summary>Steps running at once; 1 is `pulumi up --parallel 1` (one at a time).</summary>
    public int Parallel { get; init; } = DefaultParallel;

    /// <summary>`pulumi up --continue-on-error`: a failure stops only the steps that depend on it.</summary>
    public bool ContinueOnError { get; init; }
}

/// <summary>
/// The Pulumi engine's double for tests: applies a <see cref="DeploymentPlan"/> over SSH by the
/// rules the engine and pulumi-command v1.2.1 give one remote Command per step. Each rule names the
/// upstream file it follows; <c>PlanExecutorTests</c> checks each against a fake SSH runner.
/// Every SSH command is recorded and written to the log; secrets travel only on stdin.
/// </summary>
public sealed class PlanExecutor(ISshRunner ssh, ExecutorState state, TextWriter log, ExecutorOptions? options = null)
{
    private readonly List<CommandRecord> _records = [];
    private readonly Lock _lock = new();
    private readonly ExecutorOptions _options = options ?? new ExecutorOptions();

    public static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(20);

    /// <summary>Every command run by this executor, in the order they finished.</summary>
    public IReadOnlyList<CommandRecord> Records
    {
        get { lock (_lock) return _records.ToList(); }
    }

    public ExecutorState State => state;

    public ExecutorOptions Options => _options;

    /// <summary>Brings the host to <paramref name="plan"/>; returns the commands this apply ran.</summary>
    /// <param name="replace">Steps to replace whatever their diff (`pulumi up --replace URN`).</param>
    public IReadOnlyList<CommandRecord> Apply(DeploymentPlan plan, IReadOnlyDictionary<PlanSecret, string> secrets, IReadOnlySet<string>? replace = null)
    {
        replace ??= new HashSet<string>();
        var start = Records.Count;
        Log($"apply to {ssh.Target}: {plan.Steps.Length} steps in the plan, {state.Steps.Count} in the state, parallel {_options.Parallel}");
        var stdins = plan.Steps.ToDictionary(s => s.Name, s => s.SecretStdin.IsEmpty ? "" : DeploymentPlan.ComposeStdin(s, secrets));
        var uploads = plan.Uploads.ToDictionary(u => u.Name, StringComparer.Ordinal);
        var graph = plan.Steps.Select(s => (s.Name, (IReadOnlyList<string>)s.DependsOn.Concat(s.IdentityFrom).Distinct(StringComparer.Ordinal).ToList()))
            .Concat(plan.Uploads.Select(u => (u.Name, (IReadOnlyList<string>)u.DependsOn.ToList()))).ToList();
        DependencyOrder(graph);

        // A resource is registered once every resource it depends on (dependsOn, and each one
        // whose output it takes) has finished; independent ones run at the same time, at most
        // --parallel (pulumi/pulumi pkg/resource/deploy/step_executor.go: worker pool of chains).
        var processed = new HashSet<string>(StringComparer.Ordinal);
        var failures = RunGraph(graph, name =>
        {
            if (uploads.TryGetValue(name, out var upload)) ApplyUpload(upload);
            else ApplyStep(plan.Step(name), StoredStep.Of(plan.Step(name), stdins[name]), stdins[name], processed, replace.Contains(name));
            lock (processed) processed.Add(name);
        });
        if (failures.Count > 0 && !_options.ContinueOnError) throw Failed(failures);

        // What left the program is deleted after everything else, with its stored text, dependents
        // first (pkg/resource/deploy/deployment_executor.go performPostSteps: GenerateDeletes, then
        // ScheduleDeletes' antichains). A failure without --continue-on-error cancels the run first.
        var planned = plan.Steps.Select(s => s.Name).Concat(uploads.Keys).ToHashSet(StringComparer.Ordinal);
        var erroredDependencies = failures.SelectMany(f => TransitiveDependencies(f.Step)).ToHashSet(StringComparer.Ordinal);
        failures.AddRange(DeleteAll(state.Steps.Where(s => !planned.Contains(s.Name) && !erroredDependencies.Contains(s.Name)).ToList()));
        if (failures.Count > 0) throw Failed(failures);
        return Records.Skip(start).ToList();
    }

    /// <summary>Runs the stored Delete of every step, dependents first; the state ends empty (`pulumi destroy`).</summary>
    public IReadOnlyList<CommandRecord> Destroy()
    {
        var start = Records.Count;
        Log($"destroy on {ssh.Target}: {state.Steps.Count} steps in the state");
        var failures = DeleteAll(state.Steps.ToList());
        if (failures.Count > 0) throw Failed(failures);
        return Records.Skip(start).ToList();
    }

    private void ApplyStep(RemoteStep step, StoredStep wanted, string stdin, HashSet<string> processed, bool targeted)
    {
        var stored = state.Find(step.Name);
        if (stored is not null && (stored.MustBeReplacedBy(wanted) || targeted))
        {
            // A change of a replaceOnChanges input (`triggers`: pulumi-command
            // provider/pkg/provider/common/inputs.go) replaces, and so does a targeted replace whatever
            // the diff (`pulumi up --replace URN`: step_generator.go, isTargetedReplace). The program sets
            // deleteBeforeReplace on every step (infra/ZtnetInfra/ZtnetStack.cs), so the old one is
            // deleted first, with its dependents (below), in one chain.
            DeleteBeforeReplace(stored, processed);
            stored = null;
        }
        if (stored is null)
        {
            // A new resource: the provider's Create runs `create` (provider/pkg/provider/remote/commandController.go, Create).
            // A failed Create stores nothing: the provider returns the command's error as is, with no partial state.
            Run(step.Name, step.Create, stdin);
            state.Put(wanted);
        }
        else if (stored.DiffersFrom(wanted))
        {
            // Changed inputs update in place: the new `update`, or the new `create` when there is no
            // update (commandController.go, Update). A failed Update keeps the old state.
            Run(step.Name, step.Update ?? step.Create, stdin);
            state.Put(wanted);
        }
        else if (stored.SameInputsOtherwiseStoredAs(wanted))
        {
            // No input diff: a same step runs nothing but stores the new options and dependencies
            // (pkg/resource/deploy/step.go, SameStep).
            state.Put(wanted);
        }
    }

    /// <summary>
    /// A CopyToRemote (pulumi/pulumi-command v1.2.1 provider/pkg/provider/remote/copy.go and
    /// copyController.go). Its inputs are the source asset (the engine stores its content hash, not
    /// its bytes) and the remote path: Create copies; Update copies again only when the hash or the
    /// path changed (a connection change alone copies nothing, and is not modelled here); it has no
    /// Delete, so the file stays on the host when the resource goes (stored with no delete). The
    /// copy (sftpCopy, copyFile): as the SSH login, the parent made when missing (MkdirAll, no
    /// mode: the server's default), into PATH/BASENAME when PATH is a directory, else created or
    /// truncated in place (O_CREAT|O_TRUNC, no mode: a new file gets the server's default, an
    /// existing one keeps its owner and mode): Executor/copy-to-remote.sh. The bytes travel here as
    /// base64 on the command's stdin, where the provider uses SFTP; only their digest is logged.
    /// Looser than the provider there: it does not need sshd's sftp subsystem (the lab's has it).
    /// Stricter in one way: it takes only an absolute workstation path (the program makes a
    /// relative setting relative to its own directory, which the executor does not have).
    /// </summary>
    private static readonly string CopyScript = ReadResource("copy-to-remote.sh");

    private static string ReadResource(string name)
    {
        using var stream = typeof(PlanExecutor).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"resource {name} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private void ApplyUpload(PlanUpload upload)
    {
        if (!Path.IsPathRooted(upload.LocalPath))
            throw new InvalidOperationException($"{upload.Name}: the test executor takes an absolute workstation path, not {upload.LocalPath}");
        var bytes = File.ReadAllBytes(upload.LocalPath);
        var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        var wanted = new StoredStep(upload.Name, $"copy-to-remote {upload.RemotePath} sha256:{hash}", null, null, StoredStep.Digest(""), upload.DependsOn, [], IdentityFrom: []);
        var stored = state.Find(upload.Name);
        if (stored is not null && !stored.DiffersFrom(wanted))
        {
            if (stored.SameInputsOtherwiseStoredAs(wanted)) state.Put(wanted);
            return;
        }
        var command = $"sh -c {Sh.Quote(CopyScript)} copy-to-remote {Sh.Quote(upload.RemotePath)} {Sh.Quote(Path.GetFileName(upload.LocalPath))}";
        Run(upload.Name, new StepScript(stored is null ? ScriptKind.Create : ScriptKind.Update, "", command), Convert.ToBase64String(bytes) + "\n");
        state.Put(wanted);
    }

    /// <summary>
    /// Delete-before-replace (pkg/resource/deploy/step_generator.go, calculateDependentReplacements):
    /// the replaced resource's transitive dependents, walked in dependency order, are deleted first
    /// only when one of their input properties depends on a resource being replaced (and its diff
    /// then replaces: here, always, as such inputs are triggers); dependsOn alone only orders.
    /// Resources already registered in this run are left out. The dependents go in reverse order,
    /// then the resource itself, one step after the other.
    /// </summary>
    private void DeleteBeforeReplace(StoredStep root, HashSet<string> processed)
    {
        var snapshot = state.Steps;
        var order = DependencyOrder(snapshot.Select(s => (s.Name, (IReadOnlyList<string>)s.Dependencies.Where(d => snapshot.Any(x => x.Name == d)).ToList())).ToList());
        var replaceSet = new HashSet<string>(StringComparer.Ordinal) { root.Name };
        var dependents = new List<StoredStep>();
        foreach (var s in order.Select(n => snapshot.Single(x => x.Name == n)))
        {
            bool done;
            lock (processed) done = processed.Contains(s.Name);
            if (s.Name == root.Name || done || !s.IdentityFrom.Any(replaceSet.Contains)) continue;
            dependents.Add(s);
            replaceSet.Add(s.Name);
        }
        foreach (var d in Enumerable.Reverse(dependents)) DeleteOne(d);
        DeleteOne(root);
    }

    /// <summary>
    /// The stored Delete, over SSH; no Delete means nothing runs (commandController.go, Delete). A
    /// RetainOnDelete resource is dropped from the state without a call to the provider
    /// (pkg/resource/deploy/step.go, DeleteStep.Apply). A failed Delete keeps it in the state.
    /// </summary>
    private void DeleteOne(StoredStep stored)
    {
        if (stored.RetainOnDelete) Log($"### {stored.Name} delete: retained (RetainOnDelete), dropped from the state, nothing run");
        else if (stored.Delete is not null) Run(stored.Name, new StepScript(ScriptKind.Delete, "", stored.Delete), "");
        state.Remove(stored.Name);
    }

    /// <summary>
    /// Deletes in antichains: each one's steps have no dependent left among those still to delete;
    /// they run at the same time, and the next antichain starts when this one is done
    /// (pkg/resource/deploy/step_generator.go ScheduleDeletes; deployment_executor.go performPostSteps).
    /// A failed delete keeps what it depends on (deployment_executor.go: erroredDeps), and without
    /// --continue-on-error no later antichain starts.
    /// </summary>
    private List<CommandRecord> DeleteAll(IReadOnlyList<StoredStep> steps)
    {
        var todo = steps.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var failures = new List<CommandRecord>();
        while (todo.Count > 0)
        {
            var antichain = todo.Values.Where(s => !todo.Values.Any(t => t.Dependencies.Contains(s.Name))).Select(s => s.Name).ToList();
            if (antichain.Count == 0) throw new InvalidOperationException("the stored steps' dependencies form a cycle: " + string.Join(", ", todo.Keys));
            var failed = RunGraph(antichain.Select(n => (n, (IReadOnlyList<string>)[])).ToList(), name => DeleteOne(todo[name]));
            foreach (var name in antichain) todo.Remove(name);
            if (failed.Count == 0) continue;
            failures.AddRange(failed);
            if (!_options.ContinueOnError) break;
            foreach (var kept in failed.SelectMany(f => TransitiveDependencies(f.Step, steps))) todo.Remove(kept);
        }
        return failures;
    }

    /// <summary>
    /// Runs the nodes as their dependencies allow, at most <see cref="ExecutorOptions.Parallel"/> at
    /// once. A failure cancels the run: steps already running finish, no other starts
    /// (pkg/resource/deploy/step_executor.go, cancelDueToError); with --continue-on-error only the
    /// steps depending on the failed one are skipped (their inputs never resolve) and the rest go on.
    /// </summary>
    private List<CommandRecord> RunGraph(IReadOnlyList<(string Name, IReadOnlyList<string> DependsOn)> nodes, Action<string> work)
    {
        var waiting = nodes.ToList();
        var done = new HashSet<string>(StringComparer.Ordinal);
        var blocked = new HashSet<string>(StringComparer.Ordinal);
        var running = new Dictionary<Task, string>();
        var failures = new List<CommandRecord>();
        var cancelled = false;
        while (true)
        {
            foreach (var node in waiting.ToList())
            {
                if (cancelled || running.Count >= Math.Max(1, _options.Parallel)) break;
                if (node.DependsOn.Any(blocked.Contains))
                {
                    Log($"### {node.Name}: skipped, a step it depends on failed");
                    blocked.Add(node.Name);
                    waiting.Remove(node);
                }
                else if (node.DependsOn.All(done.Contains))
                {
                    waiting.Remove(node);
                    // A thread of its own: an SSH command blocks for minutes, the thread pool would serialise them.
                    running.Add(Task.Factory.StartNew(() => work(node.Name), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default), node.Name);
                }
            }
            if (running.Count == 0) break;
            var finished = running.Keys.ElementAt(Task.WaitAny([.. running.Keys]));
            var name = running[finished];
            running.Remove(finished);
            if (finished.Exception?.InnerException is StepFailedException e)
            {
                failures.Add(e.Record);
                blocked.Add(name);
                if (!_options.ContinueOnError) cancelled = true;
            }
            else if (finished.Exception is not null)
            {
                Task.WaitAll([.. running.Keys]);
                throw finished.Exception.InnerException!;
            }
            else
            {
                done.Add(name);
            }
        }
        if (cancelled && waiting.Count > 0) Log($"not started after the failure: {string.Join(", ", waiting.Select(w => w.Name))}");
        return failures;
    }

    private IEnumerable<string> TransitiveDependencies(string name, IReadOnlyList<StoredStep>? steps = null)
    {
        var all = (steps ?? state.Steps).ToDictionary(s => s.Name, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var todo = new Stack<string>(all.TryGetValue(name, out var s) ? s.Dependencies : []);
        while (todo.Count > 0)
        {
            var n = todo.Pop();
            if (!seen.Add(n) || !all.TryGetValue(n, out var d)) continue;
            foreach (var x in d.Dependencies) todo.Push(x);
        }
        return seen;
    }

    private static StepFailedException Failed(List<CommandRecord> failures) =>
        new StepFailedException(failures[0]) { Failures = failures.ToList() };

    private readonly Dictionary<string, TimeSpan> _interrupts = new(StringComparer.Ordinal);

    /// <summary>
    /// The next command of <paramref name="step"/> loses its SSH connection after <paramref name="after"/>
    /// (Ctrl-C twice, a laptop gone to sleep): the ssh client is killed, so the command fails in this
    /// run (exit 124) whatever the host goes on doing, and the state keeps what it had before it. That
    /// is what the engine's checkpoint gives the next `pulumi up`: the interrupted operation is only a
    /// pending operation beside the resources, so a pending create is not a resource (it runs anew) and a
    /// pending update or delete leaves the old inputs (pulumi/pulumi CHANGELOG: "Warn users when there are
    /// pending operations but proceed with deployment", #9293; they are cleared only by `pulumi refresh`
    /// or `pulumi up -r`, #8435).
    /// Several steps may be armed at once; each is used by that step's next command, finished in time or not.
    /// </summary>
    public void InterruptDuring(string step, TimeSpan after)
    {
        lock (_lock) _interrupts[step] = after;
    }

    private void Run(string step, StepScript script, string stdin)
    {
        var timeout = CommandTimeout;
        lock (_lock)
        {
            if (_interrupts.Remove(step, out var after)) timeout = after;
        }
        var result = ssh.Run(script.Command, stdin, timeout);
        var record = new CommandRecord(step, script.Kind, script.Command, StoredStep.Digest(stdin), result);
        var text = new System.Text.StringBuilder()
            .AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"### {step} {script.Kind.ToString().ToLowerInvariant()}: exit {result.ExitCode} after {result.Duration.TotalSeconds:0.0} s, stdin sha256 {record.StdinSha256}"))
            .AppendLine("--- command")
            .AppendLine(script.Command.TrimEnd());
        if (result.Stdout.Length > 0) text.AppendLine("--- stdout\n" + result.Stdout.TrimEnd());
        if (result.Stderr.Length > 0) text.AppendLine("--- stderr\n" + result.Stderr.TrimEnd());
        lock (_lock)
        {
            _records.Add(record);
            log.Write(text.ToString());
            log.Flush();
        }
        if (result.ExitCode != 0) throw new StepFailedException(record);
    }

    private void Log(string line)
    {
        lock (_lock)
        {
            log.WriteLine(line);
            log.Flush();
        }
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
