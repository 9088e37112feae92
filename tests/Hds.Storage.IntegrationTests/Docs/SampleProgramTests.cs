using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Hds.Storage.IntegrationTests.Cli;
using Hds.Storage.IntegrationTests.Infrastructure;

namespace Hds.Storage.IntegrationTests.Docs;

/// <summary>
/// The console samples the README names, run as built with a fresh user data folder (issue 18). QuickStart, the README's first
/// command: its store goes under the user's own data folder (not a /tmp directory shared between users), no audit line prints an
/// empty <c>size=</c>, and the count of verified records says why it exceeds the lines shown. S3Console: a storage that refuses
/// is reported as a typed error with an exit code, not an unhandled exception.
/// </summary>
public sealed class SampleProgramTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("hds-quickstart-").FullName;

    public void Dispose() => TempDirectories.Delete(_data);

    private static string SampleDll(string sample)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var dll = Path.Combine(RepositoryPaths.Root, "samples", sample, "bin", configuration, "net10.0", sample + ".dll");
        Assert.True(File.Exists(dll), dll);
        return dll;
    }

    [Fact]
    public async Task QuickStart_keeps_its_store_in_the_users_data_folder_and_prints_no_empty_size_and_an_explained_count()
    {
        var dll = SampleDll("QuickStart");

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

    [Fact]
    public async Task S3Console_reports_a_storage_refusal_as_a_typed_error_with_an_exit_code_not_an_unhandled_exception()
    {
        // An S3 endpoint that refuses every request (403), answering at once: no failover wait.
        using var refusing = new TcpListener(IPAddress.Loopback, 0);
        refusing.Start();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var serving = RefuseEveryRequestAsync(refusing, stop.Token);
        var endpoint = $"http://127.0.0.1:{((IPEndPoint)refusing.LocalEndpoint).Port}";

        var result = await CliRunner.RunDllAsync(SampleDll("S3Console"), [endpoint, "hds-sample", TestCertificates.Files.Operational, TestCertificates.Files.Escrow],
            environment: new Dictionary<string, string>
            {
                ["XDG_DATA_HOME"] = _data, // its audit spool
                ["HDS_AUDIT_CERT"] = TestCertificates.Files.AuditSigner,
                ["AWS_ACCESS_KEY_ID"] = "sample",
                ["AWS_SECRET_ACCESS_KEY"] = "sample-secret",
            });
        await stop.CancelAsync();
        await serving;

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("error: AccessDenied: The S3 endpoint denied the request", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", result.StdoutText + result.Stderr, StringComparison.Ordinal);
        // The audit uploader's warning about the refusal says why in one sentence, without a stack trace an operator would wade through.
        Assert.Contains("Uploading the audit spool failed (The S3 endpoint denied the request", result.StdoutText + result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(" at Hds.Storage.", result.StdoutText + result.Stderr, StringComparison.Ordinal);
    }

    private static async Task RefuseEveryRequestAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                using var client = await listener.AcceptTcpClientAsync(cancellationToken);
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[1];
                while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal) && await stream.ReadAsync(buffer, cancellationToken) == 1)
                {
                    head.Append((char)buffer[0]);
                }

                // The body, if any, is left unread: the connection is closed after the answer.
                await stream.WriteAsync("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
