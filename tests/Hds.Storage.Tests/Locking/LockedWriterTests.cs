using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends;
using Hds.Storage.Backends.Local;
using Hds.Storage.Keys;
using Hds.Storage.Models;
using Hds.Storage.Retention;
using Hds.Storage.Tests.TestSupport;

namespace Hds.Storage.Tests.Locking;

/// <summary>
/// One rule for "written, locked and checked" (issue 15): documents, key-ring entries and audit segments are accepted only when the
/// lock read back covers the one asked — the same mode, a retain-until no earlier, the legal hold when asked. Before, the audit
/// store's second check only asked for some retain-until, so a shorter or Governance lock passed.
/// </summary>
public sealed class LockedWriterTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    public static TheoryData<string, string> WeakLocks() => new()
    {
        { "audit", "shorter" },
        { "audit", "governance" },
        { "audit", "none" },
        { "keyring", "shorter" },
        { "keyring", "governance" },
        { "keyring", "none" },
    };

    [Theory]
    [MemberData(nameof(WeakLocks))]
    public async Task A_weaker_lock_than_asked_is_refused_for_audit_segments_and_key_ring_entries(string store, string weakness)
    {
        // The storage keeps a weaker lock than asked, before and after the writer applies the lock explicitly.
        var backend = new LockBackend(new LocalBackend(new HdsLocalStorageOptions { Path = _store.Path }, _store.Time))
        {
            ReportLock = r => weakness switch
            {
                "shorter" => r with { RetainUntil = r.RetainUntil!.Value.AddDays(-1) },
                "governance" => r with { Mode = HdsRetentionMode.Governance },
                _ => new HdsRetentionInfo(HdsRetentionMode.None, null, false),
            },
        };

        var write = store == "audit" ? WriteAuditSegmentAsync(backend) : WriteKeyRingEntryAsync(backend);

        await Assert.ThrowsAsync<HdsConfigurationException>(() => write);
        Assert.True(backend.LockApplied, "the writer applied the lock explicitly before refusing");
    }

    [Theory]
    [InlineData("audit")]
    [InlineData("keyring")]
    public async Task A_lock_the_storage_ignored_on_write_is_applied_then_verified(string store)
    {
        var backend = new LockBackend(new LocalBackend(new HdsLocalStorageOptions { Path = _store.Path }, _store.Time)) { IgnoreLockOnPut = true };

        await (store == "audit" ? WriteAuditSegmentAsync(backend) : WriteKeyRingEntryAsync(backend));

        Assert.True(backend.LockApplied);
        var key = Assert.Single(await backend.ListHistoryAsync("_hds/", Ct)).Key;
        var head = await backend.HeadAsync(key, null, Ct);
        Assert.Equal(HdsRetentionMode.Compliance, head.Retention.Mode);
        Assert.True(head.Retention.RetainUntil > _store.Time.GetUtcNow().AddDays(300));
    }

    [Fact]
    public async Task An_audit_segment_is_not_written_to_a_bucket_without_object_lock()
    {
        var backend = new LockBackend(new LocalBackend(new HdsLocalStorageOptions { Path = _store.Path }, _store.Time)) { Compliant = false };

        await Assert.ThrowsAsync<HdsConfigurationException>(() => WriteAuditSegmentAsync(backend));

        Assert.Empty(await backend.ListHistoryAsync("_hds/", Ct));
    }

    private Task WriteAuditSegmentAsync(StorageBackend backend)
    {
        var store = new AuditStore(backend, () => new HdsRetentionInfo(HdsRetentionMode.Compliance, _store.Time.GetUtcNow().AddDays(365), false));
        var now = _store.Time.GetUtcNow();
        return store.PutLockedAsync(AuditStore.SegmentKey("node-1", 1, 1, now, now), "{}\n"u8.ToArray(), "application/x-ndjson", Ct);
    }

    private async Task WriteKeyRingEntryAsync(StorageBackend backend)
    {
        var store = new KeyRingStore(backend, [TestCertificates.Operational], TimeSpan.FromDays(365), _store.Time);
        var now = _store.Time.GetUtcNow();
        var id = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture) + "-0123456789ab";
        await store.WriteAsync(new HdsKeyRingEntry { Id = id, CreatedAt = now, ActivatesAt = now, ExpiresAt = now.AddDays(90) }, new byte[32], null, Ct);
    }

    /// <summary>A storage that may ignore the lock headers of a write, report a weaker lock than it keeps, or lack object lock.</summary>
    private sealed class LockBackend(StorageBackend inner) : StorageBackend
    {
        public bool IgnoreLockOnPut { get; init; }

        public Func<HdsRetentionInfo, HdsRetentionInfo>? ReportLock { get; init; }

        public bool Compliant { get; init; } = true;

        public bool LockApplied { get; private set; }

        public override string Location => inner.Location;

        public override async Task<HdsBucketCompliance> CheckBucketAsync(OperationContext? operation, CancellationToken cancellationToken) =>
            Compliant ? await inner.CheckBucketAsync(operation, cancellationToken) : new HdsBucketCompliance("bucket", versioningEnabled: true, objectLockEnabled: false);

        public override Task<BackendWriteResult> PutAsync(BackendWriteRequest request, Stream body, OperationContext? operation, CancellationToken cancellationToken) =>
            inner.PutAsync(IgnoreLockOnPut ? request with { Retention = new HdsRetentionInfo(HdsRetentionMode.None, null, false) } : request, body, operation, cancellationToken);

        public override Task<BackendReadResult> GetAsync(string key, string? versionId, ByteRange? range, OperationContext? operation, CancellationToken cancellationToken) =>
            inner.GetAsync(key, versionId, range, operation, cancellationToken);

        public override async Task<BackendObjectHead> HeadAsync(string key, string? versionId, OperationContext? operation, CancellationToken cancellationToken)
        {
            var head = await inner.HeadAsync(key, versionId, operation, cancellationToken);
            return ReportLock is { } report && head.Retention.RetainUntil is not null ? head with { Retention = report(head.Retention) } : head;
        }

        public override Task<BackendListPage> ListAsync(string prefix, string? continuationToken, int pageSize, OperationContext? operation, CancellationToken cancellationToken) =>
            inner.ListAsync(prefix, continuationToken, pageSize, operation, cancellationToken);

        public override Task<IReadOnlyList<BackendVersion>> ListVersionsAsync(string key, OperationContext? operation, CancellationToken cancellationToken) => inner.ListVersionsAsync(key, operation, cancellationToken);

        public override Task<IReadOnlyList<BackendVersion>> ListHistoryAsync(string prefix, OperationContext? operation, CancellationToken cancellationToken) => inner.ListHistoryAsync(prefix, operation, cancellationToken);

        public override Task<string> DeleteAsync(string key, OperationContext? operation, CancellationToken cancellationToken) => inner.DeleteAsync(key, operation, cancellationToken);

        public override Task DeleteVersionAsync(string key, string versionId, OperationContext? operation, CancellationToken cancellationToken) => inner.DeleteVersionAsync(key, versionId, operation, cancellationToken);

        public override Task SetLegalHoldAsync(string key, string versionId, bool enabled, OperationContext? operation, CancellationToken cancellationToken) =>
            inner.SetLegalHoldAsync(key, versionId, enabled, operation, cancellationToken);

        public override Task SetRetentionAsync(string key, string versionId, HdsRetentionMode mode, DateTimeOffset retainUntil, OperationContext? operation, CancellationToken cancellationToken)
        {
            LockApplied = true;
            return inner.SetRetentionAsync(key, versionId, mode, retainUntil, operation, cancellationToken);
        }

        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
