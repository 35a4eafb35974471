using System.Collections.Immutable;
using Pulumi;
using Pulumi.Random;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using Remote = Pulumi.Command.Remote;

namespace ZtnetInfra;

/// <summary>What <see cref="ZtnetStack"/> deploys: the core's plan and the secrets the stack sets itself.</summary>
public sealed class ZtnetStackArgs
{
    public required DeploymentPlan Plan { get; init; }

    /// <summary>The SSH login key; null means the SSH agent.</summary>
    public Input<string>? SshPrivateKey { get; init; }

    /// <summary>ztnet:postgresPassword when the stack sets it; null means a generated one.</summary>
    public Input<string>? PostgresPassword { get; init; }

    /// <summary>ztnet:authSecret when the stack sets it; null means a generated one.</summary>
    public Input<string>? AuthSecret { get; init; }

    /// <summary>ztnet:backupRepositoryPassword (with ztnet:backupRepository); never generated: a user must keep it to read the repository.</summary>
    public Input<string>? BackupRepositoryPassword { get; init; }

    /// <summary>ztnet:backupRepositoryEnvironment when set.</summary>
    public Input<string>? BackupRepositoryEnvironment { get; init; }
}

/// <summary>
/// ZTNet on one host: a remote command per plan step, in the plan's order and dependencies,
/// and the generated secrets. It maps the plan and adds nothing to what runs on the host.
/// </summary>
public sealed class ZtnetStack : ComponentResource
{
    public const string TypeToken = "ztnet:index:ZtnetStack";
    public const string PostgresPasswordName = "postgres-password";
    public const string AuthSecretName = "auth-secret";

    /// <summary>Database password length: letters and digits only (ZTNet puts it into a URL unencoded).</summary>
    public const int GeneratedPasswordLength = 40;

    public const int GeneratedAuthSecretLength = 64;

    [Output("url")]
    public Output<string> Url { get; }

    [Output("host")]
    public Output<string> Host { get; }

    [Output("serviceUser")]
    public Output<string> ServiceUser { get; }

    [Output("unitNames")]
    public Output<ImmutableArray<string>> UnitNames { get; }

    /// <summary>One command per plan step, by step name.</summary>
    public IReadOnlyDictionary<string, Remote.Command> Steps { get; }

    /// <summary>One CopyToRemote per file the plan sends from the workstation, by name.</summary>
    public IReadOnlyDictionary<string, Remote.CopyToRemote> Uploads { get; }

    /// <summary>Null when the stack sets ztnet:postgresPassword.</summary>
    public RandomPassword? GeneratedPostgresPassword { get; }

    /// <summary>Null when the stack sets ztnet:authSecret.</summary>
    public RandomPassword? GeneratedAuthSecret { get; }

    public ZtnetStack(string name, ZtnetStackArgs args, ComponentResourceOptions? options = null)
        : base(TypeToken, name, options)
    {
        var plan = args.Plan;
        var settings = plan.Settings;

        var postgresPassword = args.PostgresPassword?.ToOutput();
        if (postgresPassword is null)
        {
            GeneratedPostgresPassword = new RandomPassword(PostgresPasswordName, new RandomPasswordArgs
            {
                Length = GeneratedPasswordLength,
                Special = false,
                Upper = true,
                Lower = true,
                Numeric = true,
                MinUpper = 4,
                MinLower = 4,
                MinNumeric = 4,
            }, new CustomResourceOptions { Parent = this });
            postgresPassword = GeneratedPostgresPassword.Result;
        }

        var authSecret = args.AuthSecret?.ToOutput();
        if (authSecret is null)
        {
            GeneratedAuthSecret = new RandomPassword(AuthSecretName, new RandomPasswordArgs
            {
                Length = GeneratedAuthSecretLength,
                Special = false,
            }, new CustomResourceOptions { Parent = this });
            authSecret = GeneratedAuthSecret.Result;
        }

        foreach (var warning in SshConnection.Warnings(settings, Environment.GetEnvironmentVariable("SSH_AUTH_SOCK"))) Log.Warn(warning, this);
        var connection = SshConnection.Build(settings, args.SshPrivateKey);
        // The repository's secrets are optional: an absent one stands as empty text, and only the
        // backups step (which reads them when the plan lists them) ever composes them.
        var resticPassword = args.BackupRepositoryPassword?.ToOutput() ?? Output.Create("");
        var resticEnvironment = args.BackupRepositoryEnvironment?.ToOutput() ?? Output.Create("");
        var secrets = Output.Tuple(Output.Tuple(postgresPassword, authSecret), Output.Tuple(resticPassword, resticEnvironment)).Apply(t => (IReadOnlyDictionary<PlanSecret, string>)new Dictionary<PlanSecret, string>
        {
            [PlanSecret.PostgresPassword] = t.Item1.Item1,
            [PlanSecret.AuthSecret] = t.Item1.Item2,
            [PlanSecret.ResticPassword] = t.Item2.Item1,
            [PlanSecret.ResticEnvironment] = t.Item2.Item2,
        });

        var steps = new Dictionary<string, Remote.Command>(StringComparer.Ordinal);
        var uploads = new Dictionary<string, Remote.CopyToRemote>(StringComparer.Ordinal);
        Resource? Named(string name) => steps.GetValueOrDefault(name) ?? (Resource?)uploads.GetValueOrDefault(name);
        // An upload is registered as soon as what it depends on is: before the first step that needs it.
        void AddReadyUploads()
        {
            foreach (var upload in plan.Uploads)
            {
                if (uploads.ContainsKey(upload.Name) || !upload.DependsOn.All(d => Named(d) is not null)) continue;
                uploads.Add(upload.Name, new Remote.CopyToRemote(upload.Name, new Remote.CopyToRemoteArgs
                {
                    Connection = connection,
                    Source = new FileAsset(ProjectFiles.AssetPath(upload.LocalPath)),
                    RemotePath = upload.RemotePath,
                }, new CustomResourceOptions { Parent = this, DependsOn = upload.DependsOn.Select(d => Named(d)!).ToList() }));
            }
        }
        foreach (var step in plan.Steps)
        {
            AddReadyUploads();
            var opts = new CustomResourceOptions
            {
                Parent = this,
                // Kept data (ztnet:retainDataOnDestroy): destroy drops the step from the state and runs nothing on the host.
                RetainOnDelete = step.RetainOnDelete,
                // Every replacement deletes first, the targeted one too (`pulumi up --replace URN`, the fix
                // `ztnet-infra status` prints): a step's Create and Delete act on the same files, so the old
                // Delete after the new Create would undo it (pulumi/pulumi pkg/resource/deploy/step_generator.go:
                // a replacement without deleteBeforeReplace deletes the old resource after creating the new one).
                DeleteBeforeReplace = true,
                DependsOn = step.DependsOn.Select(d => Named(d)
                    ?? throw new InvalidOperationException($"plan step {step.Name} depends on {d}, which does not come before it")).ToList(),
            };
            var commandArgs = new Remote.CommandArgs
            {
                Connection = connection,
                Create = step.Create.Command,
                Logging = step.Quiet ? Remote.Logging.None : Remote.Logging.StdoutAndStderr,
                // The provider would pass the previous output with SSH setenv, which sshd refuses unless AcceptEnv allows it.
                AddPreviousOutputInEnv = false,
            };
            if (!step.ReplaceOn.IsEmpty)
            {
                // Identity, not content: another service user means the old one's units are undone first.
                commandArgs.Triggers = Triggers(plan, steps, step);
            }
            if (step.Update is not null) commandArgs.Update = step.Update.Command;
            if (step.Delete is not null) commandArgs.Delete = step.Delete.Command;
            if (!step.SecretStdin.IsEmpty)
            {
                // Secrets travel only here; the stored stdin and whatever the step prints stay secret too.
                commandArgs.Stdin = Output.CreateSecret(secrets.Apply(values => ComposeStdin(step, values)));
                opts.AdditionalSecretOutputs = ["stdin", "stdout", "stderr"];
            }
            steps.Add(step.Name, new Remote.Command(step.Name, commandArgs, opts));
        }
        AddReadyUploads();
        if (uploads.Count != plan.Uploads.Length)
            throw new InvalidOperationException("a plan upload depends on a step the plan does not have");
        Steps = steps;
        Uploads = uploads;

        Url = Output.Create(plan.Url);
        Host = Output.Create(settings.Host);
        ServiceUser = Output.Create(settings.ServiceUser);
        UnitNames = Output.Create(plan.UnitNames.ToImmutableArray());
        RegisterOutputs(new Dictionary<string, object?>
        {
            ["url"] = Url,
            ["host"] = Host,
            ["serviceUser"] = ServiceUser,
            ["unitNames"] = UnitNames,
        });
    }

    /// <summary>
    /// The step's identity values. Those it shares with the steps it takes its identity from
    /// (<see cref="RemoteStep.IdentityFrom"/>) are taken from their Triggers output rather than
    /// written again: a property dependency. With delete-before-replace the engine deletes first
    /// only the dependents whose input properties depend on the replaced resource and whose diff
    /// then replaces (pulumi/pulumi pkg/resource/deploy/step_generator.go,
    /// calculateDependentReplacements; `triggers` is replaceOnChanges in pulumi-command
    /// provider/pkg/provider/common/inputs.go); a DependsOn edge only orders. The output holds the
    /// same text as the literal would, so a stack deployed before sees no change and nothing is
    /// replaced by the upgrade; it changes only when that step is replaced.
    /// </summary>
    private static InputList<object> Triggers(DeploymentPlan plan, IReadOnlyDictionary<string, Remote.Command> steps, RemoteStep step)
    {
        var fromSources = step.IdentityFrom.SelectMany(source => plan.Step(source).ReplaceOn).ToHashSet(StringComparer.Ordinal);
        if (!fromSources.IsSubsetOf(step.ReplaceOn))
            throw new InvalidOperationException($"plan step {step.Name} takes identity values it does not have from {string.Join(", ", step.IdentityFrom)}");
        var own = step.ReplaceOn.Where(v => !fromSources.Contains(v)).Cast<object>().ToImmutableArray();
        if (step.IdentityFrom.IsEmpty) return own;
        var outputs = step.IdentityFrom.Select(source => (steps.GetValueOrDefault(source)
            ?? throw new InvalidOperationException($"plan step {step.Name} takes the identity of {source}, which does not come before it")).Triggers).ToArray();
        return Output.All(outputs).Apply(values => own.AddRange(values.SelectMany(v => v)));
    }

    private static string ComposeStdin(RemoteStep step, IReadOnlyDictionary<PlanSecret, string> secrets)
    {
        try
        {
            return DeploymentPlan.ComposeStdin(step, secrets);
        }
        catch (InvalidSettingsException e)
        {
            // The message names the key and never the value.
            throw new RunException(e.Message);
        }
    }
}
