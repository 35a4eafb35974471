using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;
using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// Hostile values in every setting are either rejected with the key named, or carried through
/// verbatim: never executed.
/// </summary>
public class HostileInputTests
{
    private static readonly string Marker = Path.Combine(Path.GetTempPath(), "ztnet-pwned-" + Guid.NewGuid().ToString("N"));

    public static IEnumerable<object[]> Hostile() =>
        new[]
        {
            "a'b", "a\"b", $"$(touch {Marker})", $"`touch {Marker}`", "a\nb", "100%n", "a;touch x", "ünïcødé.example", "\u202Eevil",
            new string('a', 10_000), "", " ", "-rf", "a b", "${HOME}", "a\\b", "\0",
        }.Select(v => new object[] { v });

    /// <summary>Settings whose good values need quoting ("*-*-* 03:30:00"): carried quoted, never unquoted.</summary>
    private static readonly SettingKey[] FreeText = [SettingKeys.BackupSchedule, SettingKeys.BackupCheckSchedule, SettingKeys.BackupRepository];

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Every_setting_rejects_or_carries_a_hostile_value(string value)
    {
        foreach (var key in SettingKeys.All.Where(k => !k.Secret))
        {
            var config = Stacks.Minimal();
            if (key == SettingKeys.BastionUser || key == SettingKeys.BastionPort || key == SettingKeys.BastionHostKey) config["ztnet:bastionHost"] = ConfigValue.Plain("jump.example.org");
            if (key == SettingKeys.BackupCheckSchedule || key == SettingKeys.BackupRepository)
            {
                config.TryAdd(SettingKeys.BackupRepository.FullKey, ConfigValue.Plain("/mnt/offsite/restic"));
                config[SettingKeys.BackupRepositoryPassword.FullKey] = ConfigValue.Secure();
            }
            config[key.FullKey] = ConfigValue.Plain(value);

            var (settings, errors) = SettingsReader.TryRead(config);

            if (settings is null)
            {
                Assert.Contains(errors, e => e.Key == key.FullKey);
                Assert.All(errors, e => Assert.DoesNotContain("\n", e.ToString()));
                continue;
            }
            // Accepted: it must be a value that needs no quoting or that only the connection sees, or,
            // for a setting whose good values have spaces (a schedule), one the plan carries quoted.
            var plan = Planner.Build(settings);
            var everything = string.Concat(plan.Steps.SelectMany(s => s.Scripts).Select(s => s.Command)) + string.Concat(plan.Units.Select(u => u.Render()));
            if (FreeText.Contains(key)) Assert.Contains(Sh.Quote(value), string.Concat(plan.Steps.SelectMany(s => s.Scripts).Select(s => s.Body)));
            else if (!key.ConnectionOnly) Assert.True(Sh.Quote(value) == value, $"{key.FullKey} accepted \"{value}\" that needs quoting");
            Assert.DoesNotContain(Marker, everything);
        }
        Assert.False(File.Exists(Marker));
    }

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Quoting_carries_any_value_through_bash_verbatim(string value)
    {
        if (value.Contains('\0')) return; // a NUL cannot be an argument of any process
        var r = Tools.Run("bash", ["-c", "printf '%s' " + Sh.Quote(value)]);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(value, r.Output);
        Assert.False(File.Exists(Marker));
    }

    [Fact]
    public void The_host_key_comment_may_hold_shell_text_because_no_script_ever_sees_it()
    {
        var key = $"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBvQ4q0tcoYWpgvbUSmJ6Ec1zeNEj8fC3v7L5EGY6fUo $(touch {Marker})";
        var plan = Stacks.Plan(Stacks.With(("sshHostKey", key)));

        Assert.Equal(key, plan.Settings.SshHostKey);
        Assert.DoesNotContain(plan.Steps.SelectMany(s => s.Scripts), s => s.Command.Contains("AAAAC3Nza"));
    }

    [Fact]
    public void A_launched_body_reads_secrets_from_stdin_and_never_from_its_arguments()
    {
        // Run as root here, as on a host where the SSH login is root.
        var secret = "s3cr3t'$(touch " + Marker + ")`x`";
        // A body the launcher carries as it carries every step's: bash text, never a secret.
        const string body = "set -euo pipefail\nIFS= read -r value\nprintf '%s|%s' \"$value\" \"$#\"\n";
        var command = Launcher.Wrap("echo-test", ScriptKind.Create, StepAccount.Root, "ztnet", body);

        var r = Tools.Run("sh", ["-c", command], stdin: secret + "\n");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(secret + "|0", r.Output);
        Assert.DoesNotContain(secret, command);
        Assert.False(File.Exists(Marker));
    }
}
