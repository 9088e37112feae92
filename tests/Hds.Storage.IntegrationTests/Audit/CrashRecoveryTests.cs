using System.Diagnostics;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends.Local;
using Hds.Storage.IntegrationTests.Infrastructure;

namespace Hds.Storage.IntegrationTests.Audit;

/// <summary>
/// A process killed with SIGKILL in the middle of a load of operations loses no audit record: every operation it acknowledged
/// (printed "ACK n" after the call returned) has its record once a new client recovers the spool, and the chain verifies.
/// </summary>
public sealed class CrashRecoveryTests : IDisposable
{
    private readonly string _store = Path.Combine(Path.GetTempPath(), "hds-crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_store))
        {
            Directory.Delete(_store, recursive: true);
        }
    }

    [Fact]
    public async Task A_process_killed_with_SIGKILL_loses_no_acknowledged_audit_record()
    {
        var ct = TestContext.Current.CancellationToken;
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var harness = Path.Combine(RepositoryPaths.Root, "tests", "Hds.Storage.AuditHarness", "bin", configuration, "net10.0", "Hds.Storage.AuditHarness.dll");
        Assert.True(File.Exists(harness), harness);

        var acked = new List<string>();
        using (var process = Process.Start(new ProcessStartInfo("dotnet", [harness, "load", _store])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!)
        {
            try
            {
                // Kill at a point that varies with timing: after 150 acknowledged puts, while the next ones are in flight.
                while (acked.Count < 150 && await process.StandardOutput.ReadLineAsync(ct) is { } line)
                {
                    if (line.StartsWith("ACK ", StringComparison.Ordinal))
                    {
                        acked.Add(line.Split(' ')[2]);
                    }
                }
            }
            finally
            {
                process.Kill(entireProcessTree: false); // SIGKILL on Unix: no finally block, no flush, no dispose runs
                await process.WaitForExitAsync(ct);
            }

            Assert.Equal(137, process.ExitCode);
        }

        Assert.Equal(150, acked.Count);
        var options = new HdsStorageOptions { Local = new LocalStorageOptions { Path = _store } };
        await using var recovered = new HdsStorageClient(options);
        var auditor = new HdsRequestOptions { Context = new HdsAccessContext("auditor-7", "msa", "audit") { Role = "auditor" } };
        var verification = await recovered.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = auditor.Context }, ct);
        Assert.True(verification.IsValid, string.Join("; ", verification.Problems));

        var records = await recovered.GetRecentAuditRecordsAsync(10_000, auditor, ct);
        var recordedPuts = records.Where(r => r.Operation == HdsOperation.Put && r.Outcome == HdsAuditOutcome.Succeeded).Select(r => r.Key).ToHashSet();
        var missing = acked.Where(k => !recordedPuts.Contains(k)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged operations have no audit record, first {missing.FirstOrDefault()}");
        Assert.Contains(recovered.AuditNode, verification.Nodes);
    }
}
