using Hds.Storage.Tests.TestSupport;

namespace Hds.Storage.Tests.Diagnostics;

[Collection(nameof(TelemetryCollection))]
public sealed class MetricTests : IDisposable
{
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Operation_duration_is_recorded_per_operation_and_outcome()
    {
        using var capture = new TelemetryCapture();
        await using var client = _store.Client(TestCertificates.Operational);

        await client.PutAsync("doc-1", new MemoryStream([1, 2, 3]), TestStore.Put(), TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => client.GetPropertiesAsync("absent", new HdsVersionOptions { Context = TestStore.Put().Context }, TestContext.Current.CancellationToken));

        var durations = capture.Named("hds.operation.duration").ToList();
        Assert.Contains(durations, m => (string?)m.Tag("hds.operation") == "Put" && (string?)m.Tag("hds.outcome") == "succeeded" && m.Value >= 0);
        Assert.Contains(durations, m => (string?)m.Tag("hds.operation") == "GetProperties" && (string?)m.Tag("hds.outcome") == "not_found");
        Assert.All(durations, m => Assert.Equal(["hds.operation", "hds.outcome"], m.Tags.Select(t => t.Key)));
    }

    [Fact]
    public async Task Bytes_written_and_bytes_read_count_plaintext_bytes()
    {
        using var capture = new TelemetryCapture();
        await using var client = _store.Client(TestCertificates.Operational);

        var receipt = await client.PutAsync("doc-1", new MemoryStream(new byte[10_000]), TestStore.Put(), TestContext.Current.CancellationToken);
        var read = await TestStore.ReadAllAsync(client, "doc-1", TestStore.Get());
        await client.VerifyAsync("doc-1", new HdsVerifyOptions { Context = TestStore.Context(), Receipt = receipt }, TestContext.Current.CancellationToken);

        Assert.Equal(10_000, capture.Named("hds.bytes.written").Sum(m => m.Value));
        Assert.Equal(10_000, capture.Named("hds.bytes.read").Where(m => (string?)m.Tag("hds.operation") == "Get").Sum(m => m.Value));
        Assert.Equal(10_000, capture.Named("hds.bytes.read").Where(m => (string?)m.Tag("hds.operation") == "Verify").Sum(m => m.Value));
        Assert.Equal(10_000, read.Length);
    }

    [Fact]
    public async Task Integrity_failures_are_counted_when_a_tampered_object_is_read_or_verified()
    {
        using var capture = new TelemetryCapture();
        await using var client = _store.Client(TestCertificates.Operational);
        await client.PutAsync("doc-1", new MemoryStream(new byte[20_000]), TestStore.Put(), TestContext.Current.CancellationToken);
        var data = _store.DataFile(Hds.Storage.Objects.ObjectKeys.ToPhysical("tenant-a", "doc-1"));
        File.SetAttributes(data, FileAttributes.Normal);
        var bytes = await File.ReadAllBytesAsync(data, TestContext.Current.CancellationToken);
        bytes[^100] ^= 1;
        await File.WriteAllBytesAsync(data, bytes, TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<HdsIntegrityException>(() => TestStore.ReadAllAsync(client, "doc-1", TestStore.Get()));
        await Assert.ThrowsAsync<HdsIntegrityException>(() => client.VerifyAsync("doc-1", new HdsVerifyOptions { Context = TestStore.Context() }, TestContext.Current.CancellationToken));

        var failures = capture.Named("hds.integrity.failures").ToList();
        Assert.Equal(2, failures.Sum(m => m.Value));
        Assert.Equal(["Get", "Verify"], failures.Select(m => (string)m.Tag("hds.operation")!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Audit_pending_gauge_reports_records_spooled_but_not_uploaded()
    {
        using var capture = new TelemetryCapture();
        var options = _store.Options(TestCertificates.Operational);
        options.Audit.BatchSize = 1000;
        options.Audit.UploadInterval = TimeSpan.FromHours(1);
        await using var client = new HdsStorageClient(options, _store.Time, null);
        await client.GetVersionsAsync("doc-1", TestStore.Put(), TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        await client.GetVersionsAsync("doc-1", TestStore.Put(), TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        var node = client.AuditNode!;

        capture.RecordObservableInstruments();
        var before = capture.Named("hds.audit.pending").Last(m => (string?)m.Tag("hds.audit.node") == node).Value;
        await client.FlushAuditAsync(TestContext.Current.CancellationToken);
        capture.RecordObservableInstruments();
        var after = capture.Named("hds.audit.pending").Last(m => (string?)m.Tag("hds.audit.node") == node).Value;

        Assert.True(before >= 2, $"pending before upload: {before}");
        Assert.Equal(0, after);
    }
}
