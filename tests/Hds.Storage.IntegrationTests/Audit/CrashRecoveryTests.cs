using System.Diagnostics;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends.Local;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Models;

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
        var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = _store } };
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

    /// <summary>
    /// A put killed with SIGKILL at each point (intent announced but nothing sent; version committed; lock read back) leaves no
    /// version without a record: the write was announced in the spool before any byte was sent, and the next client reconciles
    /// the announcement with the store and records what happened (stored, with its version id, or not stored).
    /// </summary>
    [Theory]
    [InlineData("before-send", false)]
    [InlineData("after-commit", true)]
    [InlineData("after-lock-check", true)]
    public async Task A_put_killed_at_each_point_leaves_a_record_for_every_version_that_exists(string point, bool stored)
    {
        var ct = TestContext.Current.CancellationToken;
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var harness = Path.Combine(RepositoryPaths.Root, "tests", "Hds.Storage.AuditHarness", "bin", configuration, "net10.0", "Hds.Storage.AuditHarness.dll");
        using (var process = Process.Start(new ProcessStartInfo("dotnet", [harness, "crash", _store, point]) { RedirectStandardOutput = true, RedirectStandardError = true })!)
        {
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var errors = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            Assert.True(process.ExitCode == 137, $"exit {process.ExitCode}: {await output} {await errors}");
            Assert.DoesNotContain("ACK", await output, StringComparison.Ordinal);
        }

        var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = _store } };
        await using var recovered = new HdsStorageClient(options);
        var context = new HdsAccessContext("agent-4711", "msa", "claim-processing");
        var versions = (await recovered.GetVersionsAsync("crash/1", new HdsRequestOptions { Context = context }, ct).ToListAsync(ct)).Where(v => !v.IsDeleteMarker).ToList();
        var auditor = new HdsRequestOptions { Context = new HdsAccessContext("auditor-7", "msa", "audit") { Role = "auditor" } };
        var verification = await recovered.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = auditor.Context }, ct);
        Assert.True(verification.IsValid, string.Join("; ", verification.Problems));
        var puts = (await recovered.GetRecentAuditRecordsAsync(100, auditor, ct)).Where(r => r.Operation == HdsOperation.Put && r.Key == "crash/1").ToList();

        Assert.Equal(stored ? 1 : 0, versions.Count);
        var put = Assert.Single(puts);
        Assert.Equal((HdsAuditOutcome.Incomplete, stored ? "interrupted-stored" : "interrupted-not-stored", "agent-4711", "claim-processing"),
            (put.Outcome, put.Reason, put.ActorId, put.Purpose));
        Assert.Equal(versions.Select(v => (string?)v.VersionId).FirstOrDefault(), put.VersionId);
        if (stored)
        {
            Assert.NotNull(put.RetainUntil); // the lock as read back when reconciling
        }

        // Reconciled once: a second recovery adds nothing.
        await recovered.DisposeAsync();
        await using var again = new HdsStorageClient(options);
        await again.FlushAuditAsync(ct);
        Assert.Single(await again.GetRecentAuditRecordsAsync(100, auditor, ct), r => r.Operation == HdsOperation.Put && r.Key == "crash/1");
    }
}
