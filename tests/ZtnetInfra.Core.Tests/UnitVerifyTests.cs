using ZtnetInfra.Core.Units;

namespace ZtnetInfra.Core.Tests;

/// <summary>Every generated unit passes systemd's own checker, for every varied stack.</summary>
public class UnitVerifyTests
{
    [Theory]
    [MemberData(nameof(Stacks.VariedNames), MemberType = typeof(Stacks))]
    public void Units_pass_systemd_analyze_verify(string stack)
    {
        var plan = Stacks.Plan(Stacks.Varied[stack]);
        var dir = Tools.TempDir();
        foreach (var u in plan.Units) File.WriteAllText(Path.Combine(dir, u.Name), u.Render());

        var result = Tools.VerifyUnits(dir, plan.Units.Select(u => u.Name));

        Assert.True(result.ExitCode == 0 && result.Output.Trim().Length == 0, $"systemd-analyze --user verify on {stack}:\n{result.Output}");
        Directory.Delete(dir, recursive: true);
    }

    [Theory]
    [MemberData(nameof(Stacks.VariedNames), MemberType = typeof(Stacks))]
    public void The_backup_units_pass_systemd_analyze_verify_as_system_units(string stack)
    {
        var s = ZtnetInfra.Core.Settings.SettingsReader.Read(Stacks.Varied[stack]);
        var units = new List<UnitFile> { BackupUnits.BackupService(s), BackupUnits.RepositoryCheckService(), BackupUnits.AutoUpdateServiceUnit(), BackupUnits.AutoUpdateTimerUnit() };
        // The stacks' schedules, and systemd's own shorthands and forms the README names.
        foreach (var schedule in new[] { s.BackupSchedule, s.BackupCheckSchedule, "hourly", "*-*-* 03:30:00", "Mon..Fri *-*-* 02:00:00", "*:0/15" }.OfType<string>().Distinct())
        {
            var dir = Tools.TempDir();
            foreach (var u in units.Append(BackupUnits.BackupTimer(schedule)).Append(BackupUnits.RepositoryCheckTimer(schedule)))
                File.WriteAllText(Path.Combine(dir, u.Name), u.Render());

            var result = Tools.VerifyUnits(dir, [BackupUnits.Service, BackupUnits.Timer, BackupUnits.CheckService, BackupUnits.CheckTimer, BackupUnits.AutoUpdateService, BackupUnits.AutoUpdateTimer], system: true);

            Assert.True(result.ExitCode == 0 && result.Output.Trim().Length == 0, $"systemd-analyze verify of the backup units ({stack}, {schedule}):\n{result.Output}");
            Assert.Equal(0, Tools.Run("systemd-analyze", ["calendar", schedule]).ExitCode);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void The_checker_rejects_the_guide_style_defects()
    {
        // Proof that the check above can fail: the guide's kind of unit (unknown section, misspelt keys).
        var dir = Tools.TempDir();
        File.WriteAllText(Path.Combine(dir, "bad.service"),
            "[Module]\nDescription=x\nPart=ztnet-pod.service\n\n[Service]\nType=notification\nDelegation=yes\nExecStart=/usr/bin/podman run x\n");

        var result = Tools.VerifyUnits(dir, ["bad.service"]);

        Assert.NotEqual("", result.Output.Trim());
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void Exec_arguments_are_quoted_and_escaped_in_one_place()
    {
        var cmd = new ExecCommand("", "/bin/echo", "plain", "two words", "100%", "$HOME", "say \"hi\"", "back\\slash", ";")
            .Then(UnitValue.Concat(UnitValue.Specifier('t'), UnitValue.Literal("/x")));

        Assert.Equal("/bin/echo plain \"two words\" 100%% $$HOME \"say \\\"hi\\\"\" \"back\\\\slash\" \";\" \\\n    %t/x", cmd.Render());
    }

    [Fact]
    public void Plain_values_double_percent_but_keep_specifiers()
    {
        var u = new UnitFile("x.service");
        u.Section("Service").Add("Environment", UnitValue.Concat(UnitValue.Literal("A=50%"), UnitValue.Specifier('n')));

        Assert.Contains("Environment=A=50%%%n\n", u.Render());
        Assert.Throws<ArgumentException>(() => UnitValue.Literal("a\nExecStart=/bin/sh"));
    }
}
