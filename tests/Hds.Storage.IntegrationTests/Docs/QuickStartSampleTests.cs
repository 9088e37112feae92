using System.Text.RegularExpressions;
using Hds.Storage.IntegrationTests.Cli;
using Hds.Storage.IntegrationTests.Infrastructure;

namespace Hds.Storage.IntegrationTests.Docs;

/// <summary>
/// The README's first command (<c>dotnet run --project samples/QuickStart</c>), run as built with a fresh user data folder: the
/// store goes under the user's own data folder (not a /tmp directory shared between users), no audit line prints an empty
/// <c>size=</c>, and the count of verified records says why it exceeds the lines shown (issue 18).
/// </summary>
public sealed class QuickStartSampleTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("hds-quickstart-").FullName;

    public void Dispose()
    {
        foreach (var file in Directory.EnumerateFiles(_data, "*", SearchOption.AllDirectories))
        {
            File.SetAttributes(file, FileAttributes.Normal);
        }

        Directory.Delete(_data, recursive: true);
    }

    [Fact]
    public async Task QuickStart_keeps_its_store_in_the_users_data_folder_and_prints_no_empty_size_and_an_explained_count()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Path.Combine(RepositoryPaths.Root, "samples", "QuickStart", "bin", configuration, "net10.0", "QuickStart.dll");
        Assert.True(File.Exists(dll), dll);

        // XDG_DATA_HOME is the user's data folder on Linux (LocalApplicationData), as HOME/.local/share is without it.
        var result = await CliRunner.RunDllAsync(dll, [], environment: new Dictionary<string, string> { ["XDG_DATA_HOME"] = _data });

        Assert.True(result.ExitCode == 0, result.ToString());
        var output = result.StdoutText;
        Assert.Contains("identical, verified", output, StringComparison.Ordinal);
        Assert.Contains("NOT HDS-grade hosting", output + result.Stderr, StringComparison.Ordinal); // the library's warning is shown
        Assert.Contains($"Store: {Path.Combine(_data, "hds-quickstart-store")}", output, StringComparison.Ordinal);

        var shown = output.Split('\n').Where(line => line.StartsWith("  #", StringComparison.Ordinal)).ToList();
        Assert.Equal(["Put", "Get", "Verify"], shown.Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2]));
        Assert.All(shown, line => Assert.DoesNotMatch(@"size=(\s|$)", line));

        // A fresh store: the lines shown plus this run's reading of the trail, and the sentence says so.
        var count = Regex.Match(output, @"intact \((\d+) records in the store, this run's reading of the trail included\)");
        Assert.True(count.Success, output);
        Assert.Equal(shown.Count + 1, int.Parse(count.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
    }
}
