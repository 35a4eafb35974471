using System.CommandLine;
using System.CommandLine.Help;
using ZtnetInfra.Cli;

return Cli.Run(args, Console.Out, Console.Error);

namespace ZtnetInfra.Cli
{
    /// <summary>The `ztnet-infra` command line: `render`, `--help`, `--version`.</summary>
    public static class Cli
    {
        public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
        {
            try
            {
                return Parse(args, stdout, stderr);
            }
            catch (CliException e)
            {
                stderr.WriteLine(e.Message);
                return e.ExitCode;
            }
            catch (Exception e)
            {
                // Whatever the input, the user gets one line, not a stack trace.
                stderr.WriteLine(OneLine($"ztnet-infra: internal error ({e.GetType().Name}): {e.Message}"));
                return ExitCodes.Internal;
            }
        }

        private static int Parse(string[] args, TextWriter stdout, TextWriter stderr)
        {
            var stackFile = new Option<FileInfo>("--stack-file", "-s")
            {
                Description = "The stack's settings file, Pulumi.<stack>.yaml; its config: block is read (encrypted secure: values count as set and are never printed).",
                HelpName = "Pulumi.<stack>.yaml",
                Required = true,
            };
            var outDir = new Option<DirectoryInfo>("--out", "-o")
            {
                Description = "Directory to write the render to: a new one, or one that holds only an earlier render, which is then replaced whole. Any other directory is refused and left as it is.",
                HelpName = "DIR",
                Required = true,
            };
            var render = new Command("render", "Write the unit files, every step's scripts (the exact commands sent over SSH) and plan.md for a stack, for review. Needs no server.\n" + ExitCodes.Help)
            {
                stackFile,
                outDir,
            };
            render.SetAction(result => Render.Run(result.GetRequiredValue(stackFile).ToString(), result.GetRequiredValue(outDir).ToString(), stdout, stderr));

            var root = new RootCommand("ztnet-infra: review what a ZTNet stack deploys, without a server. See 'ztnet-infra render --help'.") { render };
            var result = root.Parse(args);
            var terminal = result.Action is HelpAction || result.Action?.GetType().DeclaringType == typeof(VersionOption);
            if (result.Errors.Count > 0 && !terminal)
            {
                foreach (var error in result.Errors) stderr.WriteLine($"ztnet-infra: {error.Message}");
                stderr.WriteLine("Run 'ztnet-infra render --help' for the options.");
                return ExitCodes.Usage;
            }
            if (result.Action is null)
            {
                // No command at all: say what there is, as a usage error.
                stderr.WriteLine("ztnet-infra: a command is required: render. Run 'ztnet-infra --help'.");
                return ExitCodes.Usage;
            }
            return result.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }

        private static string OneLine(string s) => s.ReplaceLineEndings(" ").TrimEnd();
    }
}
