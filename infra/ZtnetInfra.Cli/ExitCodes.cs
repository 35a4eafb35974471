namespace ZtnetInfra.Cli;

/// <summary>What the render command's exit status means (also printed by --help).</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>The stack file cannot be read as settings, or a setting is invalid: nothing written.</summary>
    public const int InvalidSettings = 2;

    /// <summary>--out is refused (a file, or a directory the command did not write) or cannot be written: nothing written, nothing deleted.</summary>
    public const int OutputRefused = 3;

    /// <summary>An unknown command or option, or a missing or malformed option (BSD sysexits EX_USAGE).</summary>
    public const int Usage = 64;

    /// <summary>A fault of this program, reported in one line (BSD sysexits EX_SOFTWARE).</summary>
    public const int Internal = 70;

    public const string Help = "Exit codes: 0 rendered; 2 the stack file or a setting is invalid (each problem on stderr, nothing written); "
        + "3 --out refused or not writable (nothing written, nothing deleted); 64 unknown command or option, or a missing or bad option; 70 internal error.";
}

/// <summary>A failure reported to the user as one line on stderr with an exit code; never a stack trace.</summary>
public sealed class CliException(int exitCode, string message) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
