using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Shell;

namespace ZtnetInfra.Core.Tests;

/// <summary>
/// The shell that reaches the host lives in infra/ZtnetInfra.Core/Scripts as .sh files: every file
/// is used, every script is made of files, the files pass shellcheck as they stand, and the
/// prelude that C# writes before them carries every value exactly.
/// </summary>
public class ScriptSourceTests
{
    private static readonly string Folder = Path.Combine(RenderCommandTests.RepoRoot(), "infra", "ZtnetInfra.Core", "Scripts");

    /// <summary>Every file any plan uses: the varied stacks cover every optional step and branch.</summary>
    private static HashSet<string> Used() =>
        Stacks.Varied.Values.Select(Stacks.Plan)
            .SelectMany(p => p.Steps.SelectMany(s => s.Scripts).SelectMany(s => s.Sources).Concat(Status.StatusProbe.For(p).Sources)
                .Concat(BackupSteps.ProgramFiles(p.Settings)))
            .ToHashSet(StringComparer.Ordinal);

    [Fact]
    public void Every_file_in_the_folder_is_embedded_and_every_embedded_file_is_used()
    {
        var onDisk = Directory.GetFiles(Folder, "*.sh", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(onDisk, ScriptSource.All.Keys.Order(StringComparer.Ordinal));
        var unused = onDisk.Except(Used()).ToList();
        Assert.True(unused.Count == 0, "files no step uses: " + string.Join(", ", unused));
    }

    [Fact]
    public void Every_script_of_every_step_is_made_of_files_and_its_body_is_their_text()
    {
        foreach (var plan in Stacks.Varied.Values.Select(Stacks.Plan))
        foreach (var step in plan.Steps)
        foreach (var script in step.Scripts)
        {
            var own = script.Sources.Where(s => !s.StartsWith("launcher/", StringComparison.Ordinal)).ToList();
            Assert.True(own.Count > 0, $"{step.Name} {script.Kind} has no source file");
            foreach (var file in own) Assert.Contains(ScriptSource.Get(file).Code, script.Body);
            foreach (var file in script.Sources.Except(own)) Assert.Contains(ScriptSource.Get(file).Code, script.Command);
        }
    }

    [Fact]
    public void Every_source_file_passes_shellcheck_as_it_stands()
    {
        var dir = Tools.TempDir();
        var failures = new List<string>();
        foreach (var (name, source) in ScriptSource.All)
        {
            var shell = name.StartsWith("launcher/", StringComparison.Ordinal) ? "sh" : "bash";
            Assert.StartsWith(shell == "sh" ? "#!/bin/sh\n" : "#!/usr/bin/env bash\n", source.Text);
            // A step's file is checked with the libraries it names in its "# uses:" line before it,
            // as the body runs them; its ": "${input:?}"" line declares what the prelude sets.
            var file = Path.Combine(dir, name.Replace('/', '_'));
            File.WriteAllText(file, source.Text[..(source.Text.IndexOf('\n') + 1)]
                + string.Concat(source.Uses.Select(u => ScriptSource.Get(u).Code)) + source.Code);
            var r = Tools.Run("shellcheck", [$"--shell={shell}", "--severity=style", file]);
            if (r.ExitCode != 0) failures.Add($"{name}:\n{r.Output}");
            r = Tools.Run(shell, ["-n", file]);
            if (r.ExitCode != 0) failures.Add($"{name} ({shell} -n):\n{r.Output}");
        }
        Directory.Delete(dir, recursive: true);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Every_file_says_what_it_is_and_names_its_inputs()
    {
        foreach (var (name, source) in ScriptSource.All)
        {
            var lines = source.Text.Split('\n');
            Assert.True(lines.Length > 2 && lines[1].StartsWith("# ", StringComparison.Ordinal), $"{name}: the line after the shebang must say what the file is");
            if (source.Inputs.Length > 0)
                Assert.True(source.Text.Contains("Inputs", StringComparison.Ordinal), $"{name} reads {string.Join(' ', source.Inputs.Select(i => i.Name))}: its header must describe them");
        }
    }

    public static TheoryData<string> Hostile => new()
    {
        "it's", "\"quoted\"", "$(touch /tmp/ztnet-prelude-marker)", "`touch /tmp/ztnet-prelude-marker`", "a\nb\n", "100%", "a;b", "ünïcødé ✓",
        "  spaces  ", "-n", "--help", "*", "'", "\\", "$HOME", "${x:-y}", "ZTNET_TEXT_END", new string('x', 5000),
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void The_prelude_gives_every_variable_exactly_its_value(string value)
    {
        var prelude = new Prelude().Var("v", value).Array("a", [value, "second", ""]).Rendered;
        // The body prints what each variable holds, byte for byte, separated by NULs.
        var r = Tools.Run("bash", ["-c", prelude + "printf '%s\\0' \"$v\" \"${a[@]}\" \"${#a[@]}\""]);

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(string.Join('\0', value, value, "second", "", "3") + "\0", r.Output);
        Assert.False(File.Exists("/tmp/ztnet-prelude-marker"));
    }

    [Theory]
    [InlineData("[Unit]\nDescription=it's 100% $(not run) `nor this`\n")]
    [InlineData("no final newline")]
    [InlineData("\\\n\ttab\n\n")]
    public void A_text_in_the_prelude_reads_back_as_the_file_it_writes(string content)
    {
        var prelude = new Prelude().Text("t", content).Rendered;
        var r = Tools.Run("bash", ["-c", "set -euo pipefail\n" + prelude + "printf '%s' \"$t\""]);

        Assert.Equal(0, r.ExitCode);
        // As the here-document it replaces: the text, with a final newline when it had none.
        Assert.Equal(content.EndsWith('\n') ? content : content + "\n", r.Output);
    }

    [Fact]
    public void A_text_holding_the_delimiter_line_is_refused()
    {
        Assert.Throws<InvalidOperationException>(() => new Prelude().Text("t", "a\nZTNET_TEXT_END\nb\n"));
    }

    [Fact]
    public void A_script_whose_prelude_misses_sets_or_empties_an_input_is_refused_when_built()
    {
        // host-os.create.sh reads minimum_podman, which must not be empty.
        Assert.Throws<InvalidOperationException>(() => new Script("test", "host-os.create.sh").Body);
        Assert.Throws<InvalidOperationException>(() => new Script("test", "host-os.create.sh").Var("minimum_podman", "").Body);
        Assert.Throws<InvalidOperationException>(() => new Script("test", "host-os.create.sh").Var("minimum_podman", "4.7").Var("extra", "x").Body);
        Assert.Throws<InvalidOperationException>(() => new Script("test", "host-os.create.sh").Array("minimum_podman", ["4.7"]).Body);
        Assert.StartsWith("set -euo pipefail\n# test\nminimum_podman='4.7'\n", new Script("test", "host-os.create.sh").Var("minimum_podman", "4.7").Body);
    }

    [Fact]
    public void The_database_password_sql_names_the_roles_the_catalogue_gives()
    {
        // The SQL in database-password.create.sh is static text: its names must be the stack's.
        var code = ScriptSource.Get("database-password.create.sh").Code + ScriptSource.Get("lib/database-roles.sh").Code;
        Assert.Contains($"CREATE ROLE {ZtnetInfra.Core.Units.ServiceCatalogue.DatabaseUser} NOLOGIN;", code);
        Assert.Contains($"ALTER ROLE {ZtnetInfra.Core.Units.ServiceCatalogue.DatabaseSuperuser} WITH PASSWORD NULL;", code);
        Assert.Contains($"-U {ZtnetInfra.Core.Units.ServiceCatalogue.DatabaseSuperuser} -d \"$1\"", code);
        Assert.Contains($"ztnet_schema_sql | superuser_sql {ZtnetInfra.Core.Units.ServiceCatalogue.DatabaseName}\n", code);
        Assert.Contains($"ALTER SCHEMA public OWNER TO {ZtnetInfra.Core.Units.ServiceCatalogue.DatabaseUser};", code);
    }
}
