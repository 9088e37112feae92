using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>
/// Human output on a real 80-column terminal (a pseudo-terminal made by util-linux 'script', its width set with stty): the values
/// operators copy — version ids, SHA-256, key ids — are never cut over several lines, in key-value reports and in tables.
/// </summary>
public sealed partial class TerminalOutputTests
{
    private static readonly string[] Context = ["--actor", "op-42", "--tenant", "msa", "--purpose", "claim-processing"];

    [Fact]
    public async Task Receipts_and_version_lists_keep_every_id_and_digest_whole_at_80_columns()
    {
        var store = Directory.CreateTempSubdirectory("hds-tty-").FullName;
        var file = Path.Combine(store, "..", Path.GetRandomFileName());
        await File.WriteAllTextAsync(file, "a document", TestContext.Current.CancellationToken);
        Assert.Equal(0, (await CliRunner.RunAsync(["bucket", "create", "--local", store, .. Context])).ExitCode);
        var first = (await CliRunner.RunAsync(["put", file, "doc", "--local", store, .. Context, "-o", "json"])).Json();
        var second = (await CliRunner.RunAsync(["put", file, "doc", "--local", store, .. Context, "-o", "json"])).Json();

        var receipt = await OnTerminalAsync(80, ["put", file, "doc", "--local", store, .. Context]);
        var versions = await OnTerminalAsync(80, ["versions", "doc", "--local", store, .. Context]);

        var sha256 = first.GetProperty("sha256").GetString()!;
        Assert.Contains(Lines(receipt), l => l.Contains(sha256, StringComparison.Ordinal)); // same content, same digest: whole on one line
        foreach (var id in new[] { first.GetProperty("versionId").GetString()!, second.GetProperty("versionId").GetString()! })
        {
            Assert.Contains(Lines(versions), l => l.Contains(id, StringComparison.Ordinal));
        }

        Assert.Contains(Lines(receipt), l => l.Contains(first.GetProperty("keyId").GetString()!, StringComparison.Ordinal));
        Assert.All(Lines(versions).Concat(Lines(receipt)), l => Assert.True(l.Length <= 80 || !l.Contains('│'), $"a table wider than the terminal: {l}"));
    }

    private static IEnumerable<string> Lines(string text) => text.Split('\n').Select(l => l.TrimEnd('\r'));

    // Runs hds on a pseudo-terminal of the given width and returns what it printed, ANSI escapes removed.
    private static async Task<string> OnTerminalAsync(int columns, string[] args)
    {
        var command = $"stty cols {columns}; exec {Quote(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")} "
            + string.Join(' ', new[] { CliRunner.CliDll }.Concat(args).Select(Quote));
        var start = new ProcessStartInfo("script", ["-qec", command, "/dev/null"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.Environment.Remove("COLUMNS");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        var text = Ansi().Replace(await output, string.Empty);
        Assert.True(process.ExitCode == 0, text);
        return text;
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]")]
    private static partial Regex Ansi();
}
