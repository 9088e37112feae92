using System.Collections.Concurrent;
using System.Diagnostics;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Tests.TestSupport;
using Microsoft.Extensions.Logging;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Audit;

/// <summary>
/// A read is recorded when it opens (the content is then verified as the caller reads it): its final outcome, when it is not a
/// success, is recorded once as a follow-up linked to the opening record — integrity failure while streaming, cancellation,
/// release before the end.
/// </summary>
public sealed class ReadOutcomeTests : IDisposable
{
    private static readonly HdsAccessContext Reader = new("agent-7", "tenant-a", "care") { CorrelationId = "corr-7" };
    private static readonly HdsRequestOptions Auditor = TestStore.Auditor();
    private readonly TestStore _store = new();
    private readonly Logs _logs = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _store.Dispose();

    private HdsStorageClient Client() => new(_store.Options(), _store.Time, _logs);

    private static HdsGetOptions Get(string? versionId = null) => new() { Context = Reader, VersionId = versionId };

    [Fact]
    public async Task A_read_that_fails_verification_while_streaming_gets_a_linked_integrity_failure_record_and_the_log_event()
    {
        await using var client = Client();
        var receipt = await client.PutAsync("doc", new MemoryStream(Codec.Pattern(20_000)), TestStore.Put(), Ct);
        var file = _store.DataFile(Hds.Storage.Objects.ObjectKeys.ToPhysical("tenant-a", "doc"));
        var bytes = await File.ReadAllBytesAsync(file, Ct);
        bytes[^100] ^= 0x01; // in the last segment: the read opens, the failure comes while streaming
        await File.WriteAllBytesAsync(file, bytes, Ct);

        using var activity = new Activity("caller").SetIdFormat(ActivityIdFormat.W3C).Start();
        var download = await client.GetAsync("doc", Get(), Ct);
        await Assert.ThrowsAsync<HdsIntegrityException>(() => download.Content.CopyToAsync(Stream.Null, Ct));
        await download.DisposeAsync();
        await Assert.ThrowsAsync<HdsIntegrityException>(() => download.Content.ReadAsync(new byte[10], Ct).AsTask()); // nothing more recorded

        var records = await client.GetRecentAuditRecordsAsync(10, Auditor, Ct);
        var gets = records.Where(r => r.Operation == HdsOperation.Get).ToList();
        Assert.Equal(2, gets.Count);
        var (opened, failed) = (gets[0], gets[1]);
        Assert.Equal((HdsAuditOutcome.Succeeded, (long?)null), (opened.Outcome, opened.Follows));
        Assert.Equal((HdsAuditOutcome.IntegrityFailure, opened.Sequence, "Integrity"), (failed.Outcome, failed.Follows, failed.Reason));
        Assert.Equal((opened.VersionId, opened.CorrelationId, opened.TraceId, opened.ActorId, opened.Key), (failed.VersionId, failed.CorrelationId, failed.TraceId, failed.ActorId, failed.Key));
        Assert.Equal(receipt.VersionId, failed.VersionId);
        Assert.NotNull(failed.TraceId);
        Assert.StartsWith("{\"v\":3,", failed.ToJsonLine(), StringComparison.Ordinal);
        Assert.Single(_logs.Events, e => e.Id == 6);
        Assert.True((await client.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor.Context }, Ct)).IsValid);
    }

    [Fact]
    public async Task A_cancelled_read_and_a_read_released_before_its_end_each_get_one_follow_up_and_a_complete_read_none()
    {
        await using var client = Client();
        await client.PutAsync("doc", new MemoryStream(Codec.Pattern(50_000)), TestStore.Put(), Ct);

        await using (var complete = await client.GetAsync("doc", Get(), Ct))
        {
            await complete.Content.CopyToAsync(Stream.Null, Ct);
        }

        await using (var released = await client.GetAsync("doc", Get(), Ct))
        {
            await released.Content.ReadExactlyAsync(new byte[100], Ct);
        }

        using var cts = new CancellationTokenSource();
        var cancelled = await client.GetAsync("doc", Get(), Ct);
        await cancelled.Content.ReadExactlyAsync(new byte[100], Ct);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.Content.ReadAsync(new byte[100], cts.Token).AsTask());
        await cancelled.DisposeAsync();

        var gets = (await client.GetRecentAuditRecordsAsync(20, Auditor, Ct)).Where(r => r.Operation == HdsOperation.Get).ToList();
        Assert.Equal(
            [(HdsAuditOutcome.Succeeded, null), (HdsAuditOutcome.Succeeded, null), (HdsAuditOutcome.Incomplete, gets[1].Sequence),
                (HdsAuditOutcome.Succeeded, null), (HdsAuditOutcome.Cancelled, gets[3].Sequence)],
            gets.Select(r => (r.Outcome, r.Follows)));
        Assert.DoesNotContain(_logs.Events, e => e.Id == 6);
    }

    [Fact]
    public async Task A_legal_hold_and_a_retention_extension_record_what_was_asked_and_obtained()
    {
        await using var client = Client();
        var receipt = await client.PutAsync("doc", new MemoryStream([1, 2, 3]), TestStore.Put(), Ct);
        var hold = new HdsRequestOptions { Context = new HdsAccessContext("counsel-1", "tenant-a", HdsAuthorizationOptions.LegalHoldPurpose) { Role = HdsAuthorizationOptions.LegalRole } };
        var retention = new HdsRequestOptions { Context = new HdsAccessContext("counsel-1", "tenant-a", HdsAuthorizationOptions.RetentionPurpose) { Role = HdsAuthorizationOptions.LegalRole } };
        var until = receipt.RetainUntil.AddDays(30);

        await client.SetLegalHoldAsync("doc", true, new HdsVersionOptions { VersionId = receipt.VersionId, Context = hold.Context }, Ct);
        await client.SetLegalHoldAsync("doc", false, new HdsVersionOptions { VersionId = receipt.VersionId, Context = hold.Context }, Ct);
        await client.ExtendRetentionAsync("doc", until, new HdsVersionOptions { VersionId = receipt.VersionId, Context = retention.Context }, Ct);
        await Assert.ThrowsAsync<HdsObjectLockedException>(() => client.ExtendRetentionAsync("doc", receipt.RetainUntil.AddDays(-1), new HdsVersionOptions { VersionId = receipt.VersionId, Context = retention.Context }, Ct));

        var records = await client.GetRecentAuditRecordsAsync(10, Auditor, Ct);
        Assert.Equal(receipt.RetainUntil, records.Single(r => r.Operation == HdsOperation.Put).RetainUntil);
        Assert.Equal([true, false], records.Where(r => r.Operation == HdsOperation.SetLegalHold).Select(r => r.LegalHold));
        var extensions = records.Where(r => r.Operation == HdsOperation.ExtendRetention).ToList();
        Assert.Equal((HdsAuditOutcome.Succeeded, until), (extensions[0].Outcome, extensions[0].RetainUntilRequested));
        Assert.True(Math.Abs((extensions[0].RetainUntil!.Value - until).TotalSeconds) < 1, $"{extensions[0].RetainUntil} for {until}");
        Assert.Equal((HdsAuditOutcome.Failed, receipt.RetainUntil.AddDays(-1), null), (extensions[1].Outcome, extensions[1].RetainUntilRequested, extensions[1].RetainUntil));
    }

    private sealed class Logs : ILoggerFactory
    {
        public ConcurrentQueue<(int Id, string Message)> Events { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

        public void Dispose()
        {
        }

        private sealed class Logger(Logs owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Events.Enqueue((eventId.Id, formatter(state, exception)));
        }
    }
}
