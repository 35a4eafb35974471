using System.Text.RegularExpressions;
using ZtnetInfra.Cli;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// plan.md's "what each setting affects" must be what the engine will run: for every setting,
/// the steps whose full inputs (commands, stdin, SSH connection, triggers) change.
/// </summary>
public class PlanDocumentTests
{
    /// <summary>A second valid value per setting; secrets change their value (the stand-in token).</summary>
    private static readonly Dictionary<string, string> Changes = new()
    {
        ["host"] = "198.51.100.7", ["sshPort"] = "2222", ["sshUser"] = "admin",
        ["sshHostKey"] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvQ4q0tcoYWpgvbUSmJ6Ec1zeNEj8fC3v7L5EGY6fUo",
        ["bastionHost"] = "bastion.example.org", ["bastionPort"] = "2222", ["bastionUser"] = "jump",
        ["bastionHostKey"] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvQ4q0tcoYWpgvbUSmJ6Ec1zeNEj8fC3v7L5EGY6fUo",
        ["serviceUser"] = "zt-service", ["dataDir"] = "/srv/ztnet", ["domain"] = "ztnet2.example.org", ["tlsMode"] = "internal",
        ["httpPort"] = "8080", ["httpsPort"] = "8443", ["zerotierPort"] = "9994",
        ["postgresImage"] = "docker.io/library/postgres:15.18-alpine", ["zerotierImage"] = "docker.io/zyclonite/zerotier:1.14.0",
        ["ztnetImage"] = "docker.io/sinamics/ztnet:0.8.1", ["caddyImage"] = "docker.io/library/caddy:2.10.2-alpine",
        ["ztnetHealthPath"] = "/api/auth/session", ["autoUpdate"] = "false", ["zerotierJoinNetworks"] = "true",
        ["retainDataOnDestroy"] = "false", ["allowPortsBelow80"] = "true", ["healthTimeoutSeconds"] = "600",
    };

    public static IEnumerable<object[]> Stacks_() =>
    [
        ["minimal"],
        ["bastion"],
    ];

    private static Dictionary<string, ConfigValue> Config(string name) => name == "minimal"
        ? Stacks.Minimal()
        : Stacks.With(("bastionHost", "jump.example.org"), ("bastionUser", "jumper"), ("sshUser", "deploy"));

    [Theory]
    [MemberData(nameof(Stacks_))]
    public void Plan_md_states_the_steps_whose_inputs_change_for_every_setting(string stack)
    {
        var config = Config(stack);
        var plan = Stacks.Plan(config);
        var rows = Rows(Renderer.PlanDocument(plan, config));
        var all = plan.Steps.Select(s => s.Name).Order(StringComparer.Ordinal).ToList();

        foreach (var key in SettingKeys.All)
        {
            var expected = ExpectedRadius(config, key);
            var cell = rows[key.FullKey];
            if (expected is null)
            {
                Assert.StartsWith("(", cell);
                continue;
            }
            var stated = cell.StartsWith("every step", StringComparison.Ordinal) ? all : Names(cell);
            Assert.True(expected.SequenceEqual(stated), $"{key.FullKey}: plan.md says \"{cell}\", the inputs of [{string.Join(", ", expected)}] change");
        }
    }

    [Fact]
    public void Connection_settings_touch_every_step()
    {
        var rows = Rows(Renderer.PlanDocument(Stacks.Plan(Stacks.Minimal()), Stacks.Minimal()));

        foreach (var key in new[] { "host", "sshPort", "sshUser", "sshHostKey", "sshPrivateKey", "bastionHost" })
            Assert.Equal("every step (the SSH connection is an input of each)", rows["ztnet:" + key]);
    }

    [Fact]
    public void Stdin_secrets_are_shown_by_their_setting_keys()
    {
        var plan = Stacks.Plan(Stacks.Minimal());
        var doc = Renderer.PlanDocument(plan, Stacks.Minimal());
        var stdin = Regex.Matches(doc, @"^\| \d+ \| `([a-z0-9-]+)` \| [^|]+ \| [^|]+ \| ([^|]+) \|", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());

        Assert.Equal(plan.Steps.Select(s => s.Name).Order(StringComparer.Ordinal), stdin.Keys.Order(StringComparer.Ordinal));
        foreach (var step in plan.Steps)
        {
            var expected = step.SecretStdin.IsEmpty ? "-" : string.Join(", ", step.SecretStdin.Select(x => $"`{StepInputs.KeyOf(x).FullKey}`"));
            Assert.Equal(expected, stdin[step.Name]);
        }
        Assert.Equal("`ztnet:postgresPassword`, `ztnet:authSecret`", stdin["podman-secrets"]);
        Assert.DoesNotContain("PostgresPassword,", doc);
    }

    [Fact]
    public void A_file_sent_from_the_workstation_is_listed_with_where_it_goes()
    {
        var config = Stacks.With(("restoreFrom", "file:backups/ztnet-backup-20261201T030000Z.tar"));
        var doc = Renderer.PlanDocument(Stacks.Plan(config), config);

        Assert.Contains("## Files sent from the workstation", doc);
        Assert.Contains($"| `{RestoreSteps.UploadName}` | `backups/ztnet-backup-20261201T030000Z.tar` | `{RestoreSteps.Inbox}/{RestoreSteps.UploadFile}` | `{RestoreSteps.InboxStep}` |", doc);
        Assert.DoesNotContain("## Files sent from the workstation", Renderer.PlanDocument(Stacks.Plan(Stacks.Minimal()), Stacks.Minimal()));
        // The upload is a resource with inputs of its own: another file changes it, and the SSH
        // connection (its input too) changes it with every step.
        var rows = Rows(doc);
        Assert.Contains($"`{RestoreSteps.UploadName}`", rows["ztnet:restoreFrom"]);
        Assert.Equal("every step (the SSH connection is an input of each)", rows["ztnet:sshPort"]);
    }

    /// <summary>Independent of plan.md: change one setting, diff every step's full inputs. Null when the change is invalid here.</summary>
    private static List<string>? ExpectedRadius(Dictionary<string, ConfigValue> config, SettingKey key)
    {
        // The repository's secrets and check schedule only count on a stack with a repository; a
        // repository is set with its (required) password.
        if ((key == SettingKeys.BackupRepositoryPassword || key == SettingKeys.BackupRepositoryEnvironment || key == SettingKeys.BackupCheckSchedule)
            && !config.ContainsKey(SettingKeys.BackupRepository.FullKey))
            config = new Dictionary<string, ConfigValue>(config)
            {
                [SettingKeys.BackupRepository.FullKey] = ConfigValue.Plain("/mnt/offsite/restic"),
                [SettingKeys.BackupRepositoryPassword.FullKey] = ConfigValue.Secure(),
            };
        var before = SettingsReader.Read(config);
        var tokensBefore = StepInputs.SecretTokens(before);
        var changed = new Dictionary<string, ConfigValue>(config);
        if (key == SettingKeys.BackupRepository) changed[SettingKeys.BackupRepositoryPassword.FullKey] = ConfigValue.Secure();
        if (key.Secret) changed[key.FullKey] = ConfigValue.Secure();
        else
        {
            config.TryGetValue(key.FullKey, out var current);
            var value = Changes.TryGetValue(key.Name, out var listed) && current?.Text != listed
                ? listed
                : key.ComparisonValues.First(v => v != (current?.Text ?? key.Default));
            changed[key.FullKey] = ConfigValue.Plain(value);
        }
        var (after, errors) = SettingsReader.TryRead(changed);
        if (after is null) return null;
        var tokensAfter = StepInputs.SecretTokens(after);
        if (key.Secret) tokensAfter[key] = "a new value";
        var a = StepInputs.Of(Planner.Build(before), tokensBefore);
        var b = StepInputs.Of(Planner.Build(after), tokensAfter);
        return [.. a.Keys.Union(b.Keys).Where(n => !a.ContainsKey(n) || !b.ContainsKey(n) || !a[n].Equals(b[n])).Order(StringComparer.Ordinal)];
    }

    private static Dictionary<string, string> Rows(string doc)
    {
        var section = doc[doc.IndexOf("## What each setting affects", StringComparison.Ordinal)..];
        return Regex.Matches(section, @"^\| `(ztnet:[A-Za-z0-9]+)` \| .*? \| ([^|]*(?:\\\|[^|]*)*) \|$", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    private static List<string> Names(string cell) =>
        [.. Regex.Matches(cell, "`([a-z0-9-]+)`").Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal)];

    [Fact]
    public void Plan_md_names_the_files_each_script_is_made_of()
    {
        var config = Stacks.With(("retainDataOnDestroy", "false"));
        var doc = Renderer.PlanDocument(Stacks.Plan(config), config);

        Assert.Contains("| `data-dirs` | delete | `lib/ownership.sh`, `data-dirs.delete.sh` |\n", doc);
        Assert.Contains("| `unit-postgres` | create | `lib/write-file.sh`, `postgres-guard.sh`, `unit.create.sh` |\n", doc);
        // Every file it names is one of the embedded scripts.
        var section = doc[doc.IndexOf("| step | script | files |", StringComparison.Ordinal)..doc.IndexOf("## Units", StringComparison.Ordinal)];
        foreach (Match m in Regex.Matches(section, @"`([a-z/.-]+\.sh)`"))
            Assert.True(ZtnetInfra.Core.Shell.ScriptSource.All.ContainsKey(m.Groups[1].Value), m.Groups[1].Value);
    }
}
