using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace ZtnetInfra.Cli;

/// <summary>
/// The render's ownership of --out: it writes a new directory, or replaces one that holds only
/// an earlier render (every file listed, unchanged, in the marker it wrote there). Anything
/// else is refused and left byte for byte. The new render is written beside the target and
/// renamed into place, so --out never holds half a render.
/// </summary>
public static class RenderOutput
{
    public const string MarkerName = ".ztnet-infra-render";

    private const string MarkerHeader = "# Written by ztnet-infra render. The next render replaces this directory only while it holds\n"
        + "# exactly the files below, unchanged (SHA-256, relative path). Keep your own files elsewhere.\n";

    public enum State { New, Empty, PreviousRender }

    public sealed record Target(string Path, string Parent, State State);

    public static Target Inspect(string outDir)
    {
        string full;
        try
        {
            full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(outDir));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw Refused(outDir, $"is not a usable path ({e.Message})");
        }
        var parent = System.IO.Path.GetDirectoryName(full);
        if (parent is null) throw Refused(outDir, "is the root directory: give a new directory, e.g. --out render");
        try
        {
            var info = new FileInfo(full);
            if (info.LinkTarget is not null) throw Refused(outDir, "is a symbolic link: give a new directory, e.g. --out render");
            if (info.Exists) throw Refused(outDir, "is a file, not a directory: give a new directory, e.g. --out render");
            if (!Directory.Exists(full))
            {
                if (!Directory.Exists(parent)) throw Refused(outDir, $"cannot be created: its parent {parent} does not exist (create it first)");
                return new Target(full, parent, State.New);
            }
            if (!Directory.EnumerateFileSystemEntries(full).Any()) return new Target(full, parent, State.Empty);
            var problem = ForeignContent(full);
            if (problem is not null) throw Refused(outDir, problem + "; it is left as it is: give a new directory, e.g. --out render");
            return new Target(full, parent, State.PreviousRender);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Refused(outDir, $"cannot be inspected: {e.Message}");
        }
    }

    /// <summary>Writes the files beside the target, then puts them in its place; on any failure nothing new is left.</summary>
    public static void Replace(Target target, IReadOnlyDictionary<string, string> files)
    {
        var name = System.IO.Path.GetFileName(target.Path);
        var staging = System.IO.Path.Combine(target.Parent, $".{name}.render-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(staging);
            var manifest = new StringBuilder(MarkerHeader);
            foreach (var (relative, text) in files.OrderBy(f => f.Key, StringComparer.Ordinal))
            {
                var path = System.IO.Path.Combine(staging, relative);
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
                var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(text);
                File.WriteAllBytes(path, bytes);
                manifest.Append(Convert.ToHexStringLower(SHA256.HashData(bytes))).Append("  ").Append(relative).Append('\n');
            }
            File.WriteAllText(System.IO.Path.Combine(staging, MarkerName), manifest.ToString());
            if (target.State == State.New)
                Directory.Move(staging, target.Path);
            else
            {
                // The old render (or empty directory) ends up at the staging path, then goes.
                Swap(staging, target.Path);
                Directory.Delete(staging, recursive: true);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(staging);
            throw Refused(target.Path, $"cannot be written: {e.Message}");
        }
    }

    /// <summary>Removes an earlier render (checked as ours by <see cref="Inspect"/>).</summary>
    public static void Remove(Target target)
    {
        if (target.State != State.PreviousRender) throw new InvalidOperationException("only an earlier render is removed");
        try
        {
            Directory.Delete(target.Path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Refused(target.Path, $"holds an earlier render that cannot be removed: {e.Message}");
        }
    }

    /// <summary>Null when the directory holds only an unchanged earlier render, else why not.</summary>
    private static string? ForeignContent(string dir)
    {
        var marker = System.IO.Path.Combine(dir, MarkerName);
        if (!File.Exists(marker)) return $"already exists and was not written by ztnet-infra render (it has no {MarkerName})";
        var listed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(marker).Where(l => l.Length > 0 && !l.StartsWith('#')))
        {
            var parts = line.Split("  ", 2);
            if (parts.Length != 2) return $"has a {MarkerName} that ztnet-infra render did not write";
            listed[parts[1]] = parts[0];
        }
        var dirs = listed.Keys.SelectMany(Ancestors).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in new DirectoryInfo(dir).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            var relative = System.IO.Path.GetRelativePath(dir, entry.FullName);
            if (relative == MarkerName) continue;
            if (entry.LinkTarget is not null) return $"holds {relative}, a symbolic link the render did not write";
            if (entry is DirectoryInfo)
            {
                if (!dirs.Contains(relative)) return $"holds {relative}/, which the render did not write";
                continue;
            }
            if (!listed.TryGetValue(relative, out var digest)) return $"holds {relative}, which the render did not write";
            if (digest != Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(entry.FullName)))) return $"holds {relative}, changed since the render wrote it";
        }
        return null;
    }

    private static IEnumerable<string> Ancestors(string relative)
    {
        for (var d = System.IO.Path.GetDirectoryName(relative); !string.IsNullOrEmpty(d); d = System.IO.Path.GetDirectoryName(d)) yield return d;
    }

    /// <summary>
    /// Exchanges two directories in one step where Linux allows it (renameat2 RENAME_EXCHANGE,
    /// rename(2) man page); else moves the old one aside and the new one in, restoring on failure.
    /// </summary>
    private static void Swap(string staging, string target)
    {
        if (OperatingSystem.IsLinux() && TryExchange(staging, target)) return;
        var aside = staging + ".old";
        Directory.Move(target, aside);
        try
        {
            Directory.Move(staging, target);
        }
        catch
        {
            Directory.Move(aside, target);
            throw;
        }
        Directory.Move(aside, staging);
    }

    private static bool TryExchange(string a, string b)
    {
        try
        {
            return Native.renameat2(Native.AtFdCwd, a, Native.AtFdCwd, b, Native.RenameExchange) == 0;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only our own staging directory; the error that matters is already being reported.
        }
    }

    private static CliException Refused(string outDir, string problem) => new(ExitCodes.OutputRefused, $"--out {outDir}: {problem}.");

    private static class Native
    {
        public const int AtFdCwd = -100;
        public const uint RenameExchange = 2;

        [DllImport("libc", SetLastError = true)]
        public static extern int renameat2(int olddirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string oldpath, int newdirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string newpath, uint flags);
    }
}
