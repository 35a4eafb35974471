using ZtnetInfra.Cli;
using ZtnetInfra.Core.Plan;
using ZtnetInfra.Core.Settings;

return Cli.Run(args, Console.Out, Console.Error);

namespace ZtnetInfra.Cli
{
    public static class Cli
    {
        public const string Usage = "usage: ztnet-infra render --stack-file Pulumi.<stack>.yaml --out DIR";

        public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
        {
            if (args.Length == 0 || args[0] != "render")
            {
                stderr.WriteLine(Usage);
                return 64;
            }
            string? stackFile = null, outDir = null;
            for (var i = 1; i < args.Length; i++)
            {
                switch (args[i])
                {
                    case "--stack-file" when i + 1 < args.Length: stackFile = args[++i]; break;
                    case "--out" when i + 1 < args.Length: outDir = args[++i]; break;
                    default:
                        stderr.WriteLine($"unknown argument: {args[i]}");
                        stderr.WriteLine(Usage);
                        return 64;
                }
            }
            if (stackFile is null || outDir is null)
            {
                stderr.WriteLine(Usage);
                return 64;
            }

            IReadOnlyDictionary<string, ConfigValue> config;
            try
            {
                config = StackFile.ReadConfig(stackFile);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or YamlDotNet.Core.YamlException or InvalidCastException)
            {
                stderr.WriteLine($"{stackFile}: cannot read the stack file: {e.Message}");
                return 2;
            }

            var (settings, errors) = SettingsReader.TryRead(config);
            if (settings is null)
            {
                foreach (var e in errors) stderr.WriteLine(e.ToString());
                return 2;
            }

            var plan = Planner.Build(settings);
            Renderer.Write(plan, config, outDir);
            stdout.WriteLine($"rendered {plan.Units.Length} units and {plan.Steps.Length} steps to {outDir} (see {Path.Combine(outDir, "plan.md")})");
            if (settings.SshHostKey is null)
                stdout.WriteLine("warning: ztnet:sshHostKey is not set: the server's host key will not be checked");
            return 0;
        }
    }
}
