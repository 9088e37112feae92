using System.Diagnostics;

namespace Hds.Storage.IntegrationTests.Infrastructure;

/// <summary>Runs the scripts of tests/s3-server (start, stop, gateway control) as child processes, bounded in time.</summary>
public static class TestScripts
{
    /// <summary>Runs <c>bash tests/s3-server/&lt;script&gt; args</c>; a non-zero exit or the time limit fails with the script's output.</summary>
    public static async Task RunAsync(string script, IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo("bash", [Path.Combine(RepositoryPaths.S3ServerDirectory, script), .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepositoryPaths.Root,
        };
        var what = string.Join(' ', psi.ArgumentList.Skip(1).Prepend(script));
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{what} did not finish within {timeout.TotalMinutes:0} minutes: {await stderr.ConfigureAwait(false)}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{what} failed ({process.ExitCode}):\n{await stdout.ConfigureAwait(false)}\n{await stderr.ConfigureAwait(false)}");
        }
    }
}
