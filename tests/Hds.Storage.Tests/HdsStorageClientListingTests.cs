using Hds.Storage.Models;
using Hds.Storage.Tests.TestSupport;

namespace Hds.Storage.Tests;

/// <summary>
/// Listing is an <see cref="IAsyncEnumerable{T}"/> (issue 15): each page is fetched when the enumeration needs it, as one audited
/// List operation; the pages stay available and resume from a continuation token; versions are enumerated too.
/// </summary>
public sealed class HdsStorageClientListingTests : IDisposable
{
    private static readonly HdsAccessContext Alice = TestStore.Context();
    private readonly TestStore _store = new();
    private readonly CapturingAuditSink _records = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _store.Dispose();

    private async Task<HdsStorageClient> ClientWithFiveObjectsAsync()
    {
        var options = _store.Options();
        options.Audit.Sink = _records;
        var client = new HdsStorageClient(options, _store.Time, null);
        foreach (var name in new[] { "e", "a", "d", "b", "c" })
        {
            await client.PutAsync("docs/" + name, new MemoryStream([1, 2, 3]), new HdsPutOptions { Context = Alice }, Ct);
        }

        return client;
    }

    private int ListOperations => _records.Written.Count(r => r.Operation == HdsOperation.List);

    [Fact]
    public async Task List_enumerates_every_page_in_key_order_one_audited_operation_per_page()
    {
        await using var client = await ClientWithFiveObjectsAsync();

        var items = await client.ListAsync("docs/", new HdsListOptions { Context = Alice, PageSize = 2 }, Ct).ToListAsync(Ct);

        Assert.Equal(["docs/a", "docs/b", "docs/c", "docs/d", "docs/e"], items.Select(i => i.Key));
        Assert.Equal(3, ListOperations);
    }

    [Fact]
    public async Task List_fetches_a_page_only_when_the_enumeration_reaches_it()
    {
        await using var client = await ClientWithFiveObjectsAsync();

        var listing = client.ListAsync("docs/", new HdsListOptions { Context = Alice, PageSize = 2 }, Ct);
        Assert.Equal(0, ListOperations);

        var firstTwo = await listing.Take(2).ToListAsync(Ct);

        Assert.Equal(["docs/a", "docs/b"], firstTwo.Select(i => i.Key));
        Assert.Equal(1, ListOperations);
    }

    [Fact]
    public async Task List_pages_resume_from_a_continuation_token()
    {
        await using var client = await ClientWithFiveObjectsAsync();

        var first = await client.ListPagesAsync("docs/", new HdsListOptions { Context = Alice, PageSize = 2 }, Ct).FirstAsync(Ct);
        var rest = await client.ListPagesAsync("docs/", new HdsListOptions { Context = Alice, PageSize = 2, ContinuationToken = first.ContinuationToken }, Ct)
            .ToListAsync(Ct);

        Assert.NotNull(first.ContinuationToken);
        Assert.Equal(["docs/a", "docs/b"], first.Items.Select(i => i.Key));
        Assert.Equal([["docs/c", "docs/d"], ["docs/e"]], rest.Select(p => p.Items.Select(i => i.Key).ToArray()));
        Assert.Null(rest[^1].ContinuationToken);
    }

    [Fact]
    public async Task A_cancelled_enumeration_fetches_no_further_page()
    {
        await using var client = await ClientWithFiveObjectsAsync();
        // The token given to WithCancellation reaches the enumeration ([EnumeratorCancellation]), with the call's own token.
        using var cancellation = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var item in client.ListAsync("docs/", new HdsListOptions { Context = Alice, PageSize = 2 }, Ct).WithCancellation(cancellation.Token))
            {
                await cancellation.CancelAsync();
            }
        });

        Assert.Equal(1, ListOperations);
    }

    [Fact]
    public async Task Versions_are_enumerated_newest_first_in_one_audited_operation()
    {
        await using var client = await ClientWithFiveObjectsAsync();
        var second = await client.PutAsync("docs/a", new MemoryStream([4]), new HdsPutOptions { Context = Alice }, Ct);

        var versions = await client.GetVersionsAsync("docs/a", new HdsRequestOptions { Context = Alice }, Ct).ToListAsync(Ct);

        Assert.Equal(2, versions.Count);
        Assert.Equal((second.VersionId, true), (versions[0].VersionId, versions[0].IsLatest));
        Assert.False(versions[1].IsLatest);
        Assert.Single(_records.Written, r => r.Operation == HdsOperation.GetVersions);
    }
}
