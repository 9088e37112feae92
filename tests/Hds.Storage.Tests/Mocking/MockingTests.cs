using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Audit.Search;
using Hds.Storage.Models;
using Hds.Storage.Retention;

namespace Hds.Storage.Tests.Mocking;

/// <summary>Code that uses the client can be tested without storage: a derived client and the model factory (issue 15).</summary>
public sealed class MockingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_derived_client_returns_factory_made_downloads_and_searches()
    {
        await using var client = new FakeClient();

        await using (var download = await client.GetAsync("requests/1/form.pdf", cancellationToken: Ct))
        {
            using var copy = new MemoryStream();
            await download.Content.CopyToAsync(copy, Ct);
            Assert.Equal("%PDF"u8.ToArray(), copy.ToArray());
            Assert.Equal("v1", download.Properties.VersionId);
        }

        var search = await client.SearchAuditAsync(new HdsAuditQuery(), Ct);
        var found = new List<HdsAuditRecord>();
        await foreach (var record in search.WithCancellation(Ct))
        {
            found.Add(record);
        }

        Assert.Equal(["agent-1", "agent-2"], found.Select(r => r.ActorId));
        Assert.False(search.IsValid); // the problems given to the factory are reported at the end
        Assert.Equal(HdsAuditProblemKind.ChainBroken, Assert.Single(search.Problems).Kind);
        Assert.Equal(2, search.RecordsReturned);
    }

    [Fact]
    public async Task A_verb_the_mock_does_not_override_says_so()
    {
        await using var client = new FakeClient();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => client.PutAsync("a", new MemoryStream([1]), cancellationToken: Ct));
        Assert.Contains("mocking", ex.Message, StringComparison.Ordinal);
    }

    private sealed class FakeClient : HdsStorageClient
    {
        public override Task<HdsDownload> GetAsync(string key, HdsGetOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(HdsStorageModelFactory.Download(
                new MemoryStream("%PDF"u8.ToArray()),
                new HdsObjectProperties { Key = key, VersionId = "v1", Size = 4, StoredSize = 4, ContentType = "application/pdf", LastModified = DateTimeOffset.UnixEpoch, Retention = new HdsRetentionInfo { Mode = HdsRetentionMode.Compliance, RetainUntil = DateTimeOffset.UnixEpoch.AddYears(10), LegalHold = false } }));

        public override Task<HdsAuditSearch> SearchAuditAsync(HdsAuditQuery query, CancellationToken cancellationToken = default) =>
            Task.FromResult(HdsStorageModelFactory.AuditSearch(
                query,
                [Record("agent-1"), Record("agent-2")],
                [new HdsAuditProblem { Kind = HdsAuditProblemKind.ChainBroken, Node = "node-1", Sequence = 7, Description = "a link is missing (test)" }]));

        private static HdsAuditRecord Record(string actor) =>
            new() { Time = DateTimeOffset.UnixEpoch, Operation = HdsOperation.Get, Outcome = HdsAuditOutcome.Succeeded, ActorId = actor, Tenant = "msa", Node = "node-1" };
    }
}
