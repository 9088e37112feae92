using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends;
using Hds.Storage.Backends.Local;
using Hds.Storage.Encryption;
using Hds.Storage.Tests.TestSupport;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Audit;

/// <summary>The audit record of a write or a read names the site that served it, and a write found after a lost answer says so.</summary>
public sealed class AuditSiteTests : IDisposable
{
    private static readonly HdsAccessContext Alice = new("agent-4711", "msa", "claim-processing");
    private readonly TestStore _store = new();
    private readonly CapturingAuditSink _records = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _store.Dispose();

    private HdsStorageClient Client(Func<BackendWriteResult, BackendWriteResult>? alterWrite = null)
    {
        var options = _store.Options();
        options.Audit.Sink = _records;
        var backend = new CountingBackend(new LocalBackend(options.Local!, _store.Time)) { AlterWrite = alterWrite };
        return new HdsStorageClient(backend, new FormatV1(new TestKeyProvider(), 4096), options, _store.Time);
    }

    [Fact]
    public async Task On_the_local_store_writes_reads_and_verifications_are_recorded_at_site_local()
    {
        await using var client = Client();
        var receipt = await client.PutAsync("doc", new MemoryStream(Codec.Pattern(10_000)), new HdsPutOptions { Context = Alice }, Ct);
        foreach (var version in new[] { null, receipt.VersionId })
        {
            // The second range of the version is read with its cached header: the segments only, one request.
            await using var download = await client.GetAsync("doc", new HdsGetOptions { Context = Alice, VersionId = version, Range = new Models.HdsContentRange(5000, 10) }, Ct);
            await download.Content.CopyToAsync(Stream.Null, Ct);
        }

        await client.VerifyAsync("doc", new HdsVerifyOptions { Context = Alice, Receipt = receipt }, Ct);
        await client.GetVersionsAsync("doc", new HdsRequestOptions { Context = Alice }, Ct).ToListAsync(Ct);

        Assert.Equal(
            [(HdsOperation.Put, "local"), (HdsOperation.Get, "local"), (HdsOperation.Get, "local"), (HdsOperation.Verify, "local"), (HdsOperation.GetVersions, null)],
            _records.Written.Select(r => (r.Operation, r.Site)));
        Assert.All(_records.Written, r => Assert.False(r.FoundAfterLostAnswer));
    }

    [Fact]
    public async Task A_write_found_after_its_answer_was_lost_is_recorded_with_the_site_that_stored_it()
    {
        await using var client = Client(written => written with { Site = "paris-2", FoundAfterLostAnswer = true });

        var receipt = await client.PutAsync("doc", new MemoryStream([1, 2, 3]), new HdsPutOptions { Context = Alice }, Ct);

        var put = Assert.Single(_records.Written);
        Assert.Equal((HdsAuditOutcome.Succeeded, receipt.VersionId, "paris-2", true), (put.Outcome, put.VersionId, put.Site, put.FoundAfterLostAnswer));
        Assert.StartsWith("{\"v\":3,", put.ToJsonLine(), StringComparison.Ordinal); // a put also records the retain-until date obtained (format 3)
    }

    [Fact]
    public async Task A_write_that_fails_after_it_was_stored_is_recorded_with_the_site_that_stored_it()
    {
        // The storage acknowledges another length than was sent: the version is removed and the write refused.
        await using var client = Client(written => written with { Site = "paris-2", StoredLength = written.StoredLength + 1 });

        await Assert.ThrowsAsync<HdsIntegrityException>(() => client.PutAsync("doc", new MemoryStream([1, 2, 3]), new HdsPutOptions { Context = Alice }, Ct));

        var put = Assert.Single(_records.Written);
        Assert.Equal((HdsAuditOutcome.IntegrityFailure, "paris-2"), (put.Outcome, put.Site));
    }
}
