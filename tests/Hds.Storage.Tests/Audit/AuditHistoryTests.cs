using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends;
using Hds.Storage.Backends.Local;
using Hds.Storage.Retention;
using Hds.Storage.Tests.TestSupport;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Audit;

/// <summary>
/// On the embedded store too, verification reads the whole history of the audit prefix: a delete marker or a further version added
/// through the store's API is reported by a client that never wrote to the trail (its own spool directory), and the original
/// records are the ones read.
/// </summary>
public sealed class AuditHistoryTests : IDisposable
{
    private static readonly HdsAccessContext Agent = new("agent-1", "tenant-a", "care");
    private static readonly HdsAccessContext Auditor = TestStore.Auditor().Context!;
    private readonly TestStore _store = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Delete_markers_and_new_versions_of_audit_objects_are_reported_from_a_fresh_spool_and_the_originals_are_read()
    {
        var writer = _store.Options();
        writer.Audit.BatchSize = 2;
        writer.Audit.UploadInterval = TimeSpan.FromHours(1);
        await using (var client = new HdsStorageClient(writer, _store.Time, null))
        {
            for (var i = 0; i < 4; i++)
            {
                await client.PutAsync($"doc/{i}", new MemoryStream([1, 2, 3]), new HdsPutOptions { Context = Agent }, Ct);
            }

            await client.FlushAuditAsync(Ct);
        }

        var backend = new LocalBackend(writer.Local!, TimeProvider.System);
        var history = await backend.ListHistoryAsync(AuditStore.Prefix, Ct);
        var segments = history.Where(v => v.Key.Contains("/segments/", StringComparison.Ordinal)).Select(v => v.Key).Order(StringComparer.Ordinal).ToList();
        var checkpoints = history.Where(v => v.Key.Contains("/checkpoints/", StringComparison.Ordinal)).Select(v => v.Key).Order(StringComparer.Ordinal).ToList();
        Assert.True(segments.Count >= 2 && checkpoints.Count >= 2, $"{segments.Count} segments, {checkpoints.Count} checkpoints");
        await backend.DeleteAsync(segments[^1], Ct);
        await backend.PutAsync(
            new BackendWriteRequest(segments[0], "application/x-ndjson", new Dictionary<string, string>(), new HdsRetentionInfo(HdsRetentionMode.Compliance, DateTimeOffset.UtcNow.AddDays(1), false)),
            new MemoryStream("{}\n"u8.ToArray()), Ct);

        var auditorOptions = _store.Options();
        auditorOptions.Audit.SpoolDirectory = Path.Combine(_store.Path, "auditor-spool");
        await using var auditor = new HdsStorageClient(auditorOptions, _store.Time, null);
        var result = await auditor.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor }, Ct);

        Assert.False(result.IsValid);
        Assert.Contains(result.Problems, p => p.Kind == HdsAuditProblemKind.ObjectHidden);
        Assert.Contains(result.Problems, p => p.Kind == HdsAuditProblemKind.ObjectRewritten);
        Assert.DoesNotContain(result.Problems, p => p.Kind is HdsAuditProblemKind.RecordAltered or HdsAuditProblemKind.RecordMissing); // the originals verify
        var records = await auditor.GetRecentAuditRecordsAsync(100, new HdsRequestOptions { Context = Auditor }, Ct);
        Assert.Equal(4, records.Count(r => r.Operation == HdsOperation.Put && r.ActorId == "agent-1"));
    }

    [Fact]
    public async Task Nodes_signed_by_the_development_signer_stay_enrolled_once_a_real_signer_is_configured_and_a_foreign_signer_is_not_trusted()
    {
        await using (var development = new HdsStorageClient(_store.Options(), _store.Time, null))
        {
            await development.PutAsync("doc", new MemoryStream([1]), new HdsPutOptions { Context = Agent }, Ct);
        }

        var configured = _store.Options();
        configured.Audit.CheckpointCertificate = TestCertificates.AuditSigner;
        configured.Audit.SpoolDirectory = Path.Combine(_store.Path, "configured-spool"); // another node
        await using (var client = new HdsStorageClient(configured, _store.Time, null))
        {
            var result = await client.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor }, Ct);
            Assert.True(result.IsValid, string.Join("; ", result.Problems));
            Assert.Single(result.Nodes); // the development-signed node (this client has recorded nothing yet)
        }

        // A store whose development signer was replaced (another key in the file) no longer vouches for the nodes signed before.
        File.Delete(Path.Combine(_store.Path, AuditCertificates.DevelopmentSignerFile));
        var other = _store.Options();
        other.Audit.SpoolDirectory = Path.Combine(_store.Path, "other-spool");
        await using var fresh = new HdsStorageClient(other, _store.Time, null);
        var after = await fresh.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor }, Ct);
        Assert.Contains(after.Problems, p => p.Kind == HdsAuditProblemKind.NodeNotEnrolled);
    }
}
