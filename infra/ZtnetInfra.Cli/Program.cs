using System.CommandLine;
using System.CommandLine.Help;
using ZtnetInfra.Cli;

return Cli.Run(args, Console.Out, Console.Error);

namespace ZtnetInfra.Cli
{
    /// <summary>The `ztnet-infra` command line: `render`, `status`, `--help`, `--version`.</summary>
    public static class Cli
    {
        public static int Run(string[] args, TextWriter stdout, TextWriter stderr, IStatusTransport? transport = null)
        {
            try
            {
                return Parse(args, stdout, stderr, transport ?? new OpenSshTransport());
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

        private static int Parse(string[] args, TextWriter stdout, TextWriter stderr, IStatusTransport transport)
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

            var statusStackFile = new Option<FileInfo>("--stack-file", "-s")
            {
                Description = "The stack's settings file, Pulumi.<stack>.yaml: the same as for render. Its SSH settings say how the host is reached (ztnet:sshHostKey pinned); no secret in it is read.",
                HelpName = "Pulumi.<stack>.yaml",
                Required = true,
            };
            var stackName = new Option<string>("--stack") { Description = "The Pulumi stack's name, for the printed fixes (default: from the file name Pulumi.<stack>.yaml).", HelpName = "NAME" };
            var projectName = new Option<string>("--project") { Description = "The Pulumi project's name (default: the name: in Pulumi.yaml beside the stack file).", HelpName = "NAME" };
            var identity = new Option<FileInfo>("--identity", "-i") { Description = "A private key file for the SSH login (default: your SSH agent and ~/.ssh, as with ssh).", HelpName = "FILE" };
            var json = new Option<bool>("--json") { Description = "Print the report as JSON (schema " + Core.Status.StatusOutput.Schema + ") for monitoring." };
            var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the host's answer (default 120).", HelpName = "SECONDS", DefaultValueFactory = _ => 120 };
            var status = new Command("status", "Read-only: one SSH round trip that compares every file the stack writes on the host with what the stack file renders (drift, with the `pulumi up --replace` that puts each back), "
                + "and reports each unit, container, the pod, linger, the newest backup, the certificate served and free space, with the journal command for each failing unit. Changes nothing on the host and needs no secret.\n"
                + Core.Status.StatusReport.ExitCodeHelp)
            {
                statusStackFile, stackName, projectName, identity, json, timeout,
            };
            status.SetAction(result => Status.Run(result.GetRequiredValue(statusStackFile).ToString(), result.GetValue(stackName), result.GetValue(projectName),
                result.GetValue(identity)?.ToString(), result.GetValue(json), Math.Max(1, result.GetValue(timeout)), transport, stdout, stderr));

            var root = new RootCommand("ztnet-infra: review what a ZTNet stack deploys, without a server (render), and what is on the server (status). See 'ztnet-infra render --help', 'ztnet-infra status --help'.") { render, status };
            var result = root.Parse(args);
            var terminal = result.Action is HelpAction || result.Action?.GetType().DeclaringType == typeof(VersionOption);
            if (result.Errors.Count > 0 && !terminal)
            {
                foreach (var error in result.Errors) stderr.WriteLine($"ztnet-infra: {error.Message}");
                stderr.WriteLine($"Run 'ztnet-infra {(args.FirstOrDefault() == "status" ? "status" : "render")} --help' for the options.");
                return ExitCodes.Usage;
            }
            if (result.Action is null)
            {
                // No command at all: say what there is, as a usage error.
                stderr.WriteLine("ztnet-infra: a command is required: render or status. Run 'ztnet-infra --help'.");
                return ExitCodes.Usage;
            }
            return result.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }

        private static string OneLine(string s) => s.ReplaceLineEndings(" ").TrimEnd();
    }
}
