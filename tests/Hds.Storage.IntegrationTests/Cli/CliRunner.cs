using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>What one run of the real <c>hds</c> process produced.</summary>
public sealed record CliResult(int ExitCode, byte[] Stdout, string Stderr)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    public JsonElement Json()
    {
        try
        {
            return JsonDocument.Parse(Stdout).RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"stdout is not JSON: {this}", ex);
        }
    }

    public override string ToString() => $"exit {ExitCode}; stdout: {StdoutText}; stderr: {Stderr}";
}

/// <summary>Runs the built <c>hds.dll</c> as a child process with <c>dotnet hds.dll ...</c>, as an operator would.</summary>
public static class CliRunner
{
    private static readonly Lazy<string> CliPath = new(LocateCli);

    /// <summary>The built hds.dll.</summary>
    public static string CliDll => CliPath.Value;

    public static Task<CliResult> RunAsync(
        IEnumerable<string> args, byte[]? stdin = null, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null) =>
        RunDllAsync(CliPath.Value, args, stdin, environment, workingDirectory);

    /// <summary>Runs another built program of the repository (a sample) the same way: <c>dotnet program.dll ...</c>.</summary>
    public static Task<CliResult> RunDllAsync(
        string dll, IEnumerable<string> args, byte[]? stdin = null, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null) =>
        RunProcessAsync(DotnetHost, [dll, .. args], stdin, environment, workingDirectory);

    /// <summary>The <c>dotnet</c> host running the tests.</summary>
    public static string DotnetHost => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";

    /// <summary>Runs a program (<c>dotnet build</c>, <c>bash</c>) to its end, bounded in time (2 minutes unless told).</summary>
    public static async Task<CliResult> RunProcessAsync(
        string program, IEnumerable<string> args, byte[]? stdin = null, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null,
        TimeSpan? timeLimit = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // No instance-metadata probing when a test runs without credentials.
        start.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        var limit = timeLimit ?? TimeSpan.FromMinutes(2);
        using var timeout = new CancellationTokenSource(limit);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var stdout = new MemoryStream();
        var readOut = process.StandardOutput.BaseStream.CopyToAsync(stdout, timeout.Token);
        var readErr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            if (stdin is not null)
            {
                await process.StandardInput.BaseStream.WriteAsync(stdin, timeout.Token);
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            await readOut;
            return new CliResult(process.ExitCode, stdout.ToArray(), await readErr);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', start.ArgumentList.Take(4))} did not finish in {limit.TotalMinutes:0} minutes.");
        }
    }

    /// <summary>The repository root: the first directory above the tests holding Hds.Storage.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Hds.Storage.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Hds.Storage.sln not found above " + AppContext.BaseDirectory);
    }

    // The CLI's own output of the same configuration, as an operator's install has its own folder: the tests' folder holds
    // hds.dll too (the ProjectReference builds it first), but not the packages a console app needs that the tests get from the
    // ASP.NET Core shared framework (Microsoft.Extensions.Configuration.*, at 10.0.0 since issue 15).
    private static string LocateCli()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Debug";
        var built = Path.Combine(RepositoryRoot(), "src", "Hds.Storage.Cli", "bin", configuration, "net10.0", "hds.dll");
        return File.Exists(built) ? built : throw new FileNotFoundException("hds.dll not found; build src/Hds.Storage.Cli first.", built);
    }
}
