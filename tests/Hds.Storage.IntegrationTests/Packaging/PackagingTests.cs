using System.Diagnostics;
using System.IO.Compression;
using Hds.Storage.IntegrationTests.Cli;

namespace Hds.Storage.IntegrationTests.Packaging;

/// <summary>
/// eng/pack.sh packs the three shipped packages and installs the hds tool from them, as a user would; run here so that a packaging
/// failure fails `dotnet test` (and .ci/run) and counts in its totals.
/// </summary>
public sealed class PackagingTests : IDisposable
{
    private readonly string _output = Directory.CreateTempSubdirectory("hds-packages-").FullName;

    public void Dispose() => Directory.Delete(_output, recursive: true);

    [Fact]
    public async Task Pack_script_packs_the_three_packages_with_symbols_the_tool_installs_and_runs_and_a_web_app_copies_no_framework_assembly()
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = CliRunner.RepositoryRoot() };
        start.ArgumentList.Add(Path.Combine("eng", "pack.sh"));
        start.ArgumentList.Add(_output);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);

        Assert.True(process.ExitCode == 0, $"eng/pack.sh exited {process.ExitCode}: {await stdout} {await stderr}");
        foreach (var package in new[] { "Hds.Storage", "Hds.Storage.AspNetCore", "Hds.Storage.Cli" })
        {
            var nupkg = Assert.Single(Packages(package));
            Assert.True(File.Exists(Path.ChangeExtension(nupkg, ".snupkg")), package + " has no symbols package");
            using var zip = ZipFile.OpenRead(nupkg);
            Assert.Contains(zip.Entries, e => e.FullName == "README.md");
        }

        using var cli = ZipFile.OpenRead(Assert.Single(Packages("Hds.Storage.Cli")));
        Assert.Contains(cli.Entries, e => e.FullName.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));

        // Issue 15: a new ASP.NET Core 10 app adding Hds.Storage builds and copies no Microsoft.Extensions.* or Pkcs assembly over
        // the shared framework's (the library depends on the 10.0.0 packages, not 11.0.0).
        Assert.Contains("web app output: no Microsoft.Extensions.* or Pkcs assembly", await stdout, StringComparison.Ordinal);
    }

    // Hds.Storage.1.2.3.nupkg, not Hds.Storage.Cli.1.2.3.nupkg.
    private IEnumerable<string> Packages(string id) =>
        Directory.GetFiles(_output, id + ".*.nupkg").Where(f => char.IsAsciiDigit(Path.GetFileName(f)[id.Length + 1]));
}
