using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Hds.Storage.IntegrationTests.Cli;
using Hds.Storage.IntegrationTests.Infrastructure;

namespace Hds.Storage.IntegrationTests.Docs;

/// <summary>
/// The README's ASP.NET Core guide, run as a reader runs it (issue 18, "the guide works verbatim, including a 40 MB upload"): a web
/// project holding the guide's <c>appsettings.json</c> and <c>Program.cs</c> as written, then the guide's shell lines as written.
/// Two substitutions only: the packages are references to the projects they are packed from (PackagingTests covers the packages),
/// and the guide's fixed <c>http://localhost:5000</c> becomes a free port (tests run side by side). The user's data folder is a fresh
/// one (XDG_DATA_HOME), so the relative store path is seen to land there, not in the project folder.
/// </summary>
public sealed class ReadmeGuideTests : IDisposable
{
    private const string GuideUrl = "http://localhost:5000";
    private readonly System.Text.StringBuilder _appOutput = new();
    private readonly string _work = Directory.CreateTempSubdirectory("hds-guide-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => TempDirectories.Delete(_work);

    [Fact]
    public async Task The_guide_runs_verbatim_and_stores_and_reads_back_a_40_MB_upload()
    {
        var readme = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "README.md"), Ct);
        var start = readme.IndexOf("## In an ASP.NET Core app", StringComparison.Ordinal);
        var guide = readme[start..readme.IndexOf("For production", start, StringComparison.Ordinal)];
        var settings = Block(guide, "json");
        var program = Block(guide, "csharp");
        var shell = Block(guide, "bash");
        Assert.Contains(GuideUrl, program, StringComparison.Ordinal);
        Assert.Contains("head -c 40000000 /dev/urandom > scan.pdf", shell, StringComparison.Ordinal); // the guide still uploads 40 MB

        var url = $"http://localhost:{FreePort()}";
        var project = Directory.CreateDirectory(Path.Combine(_work, "app")).FullName;
        var data = Directory.CreateDirectory(Path.Combine(_work, "data")).FullName;
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        // What 'dotnet new web' writes, with the reference the packages stand for.
        await File.WriteAllTextAsync(Path.Combine(project, "app.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                <ProjectReference Include="{Path.Combine(RepositoryPaths.Root, "src", "Hds.Storage", "Hds.Storage.csproj")}" />
              </ItemGroup>
            </Project>
            """, Ct);
        await File.WriteAllTextAsync(Path.Combine(project, "appsettings.json"), settings, Ct);
        await File.WriteAllTextAsync(Path.Combine(project, "Program.cs"), program.Replace(GuideUrl, url, StringComparison.Ordinal), Ct);

        // The library is already built by the test run: only the app is compiled (its output in its own folder).
        var build = await CliRunner.RunProcessAsync(CliRunner.DotnetHost, ["build", "-c", configuration, "-p:BuildProjectReferences=false", "--disable-build-servers", "--nologo", "-v:q"],
            workingDirectory: project, timeLimit: TimeSpan.FromMinutes(5));
        Assert.True(build.ExitCode == 0, build.ToString());

        var environment = new Dictionary<string, string> { ["XDG_DATA_HOME"] = data };
        using var app = StartApp(Path.Combine(project, "bin", configuration, "net10.0", "app.dll"), project, environment);
        try
        {
            await WaitUntilListeningAsync(url, app);
            var curls = await CliRunner.RunProcessAsync("bash", ["-euo", "pipefail", "-c", shell.Replace(GuideUrl, url, StringComparison.Ordinal)],
                environment: environment, workingDirectory: project);
            Assert.True(curls.ExitCode == 0, curls + AppOutput());

            var output = curls.StdoutText;
            Assert.Contains("\"key\":\"requests/r1/form.pdf\"", output, StringComparison.Ordinal); // the receipts
            Assert.Contains("\"size\":40000000", output, StringComparison.Ordinal);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(project, "form.pdf"), Ct), await File.ReadAllBytesAsync(Path.Combine(project, "copy.pdf"), Ct));
            Assert.Matches("\"operation\":\"Put\",\"outcome\":\"Succeeded\",[^}]*\"actorId\":\"agent-4711\"", output); // the audit trail
            Assert.Matches("\"operation\":\"Get\",\"outcome\":\"Succeeded\",[^}]*\"actorId\":\"agent-4711\"", output);

            // The relative "hds-store" went under the user's data folder, not into the project (the web app's content root).
            Assert.True(File.Exists(Path.Combine(data, "Hds.Storage", "hds-store", "hds-store.json")));
            Assert.False(Directory.Exists(Path.Combine(project, "hds-store")));
        }
        finally
        {
            app.Kill(entireProcessTree: true);
            await app.WaitForExitAsync(Ct);
        }
    }

    // The first fenced block of that language in the guide.
    private static string Block(string markdown, string language)
    {
        var block = Regex.Match(markdown, $"```{language}\\n(.*?)```", RegexOptions.Singleline);
        Assert.True(block.Success, $"no {language} block in the README's guide");
        return block.Groups[1].Value;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Process StartApp(string dll, string project, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(CliRunner.DotnetHost) { UseShellExecute = false, WorkingDirectory = project, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the guide's app.");
        process.OutputDataReceived += (_, line) => Collect(line.Data); // drained, so a full pipe never blocks the app
        process.ErrorDataReceived += (_, line) => Collect(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Collect(string? line)
    {
        lock (_appOutput)
        {
            _appOutput.AppendLine(line);
        }
    }

    private string AppOutput()
    {
        lock (_appOutput)
        {
            return _appOutput.ToString();
        }
    }

    private async Task WaitUntilListeningAsync(string url, Process app)
    {
        using var http = new HttpClient();
        for (var attempt = 0; attempt < 120; attempt++)
        {
            if (app.HasExited)
            {
                Assert.Fail($"the guide's app exited ({app.ExitCode}): {AppOutput()}");
            }

            try
            {
                using var health = await http.GetAsync(url + "/health", Ct);
                return;
            }
            catch (HttpRequestException)
            {
                await Task.Delay(500, Ct);
            }
        }

        Assert.Fail($"the guide's app did not listen on {url} within a minute: {AppOutput()}");
    }
}
