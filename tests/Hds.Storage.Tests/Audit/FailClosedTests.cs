using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends.Local;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Audit;

public sealed class FailClosedTests : IDisposable
{
    private readonly string _store = Path.Combine(Path.GetTempPath(), "hds-failclosed-" + Guid.NewGuid().ToString("N"));
    private static readonly HdsAccessContext Alice = new("agent-4711", "msa", "claim-processing");

    public void Dispose()
    {
        if (Directory.Exists(_store))
        {
            Directory.Delete(_store, recursive: true);
        }
    }

    private HdsStorageClient Client(bool failOpen)
    {
        var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = _store } };
        options.Audit.Sink = new BrokenSink();
        options.Audit.FailOpen = failOpen;
        return new HdsStorageClient(options);
    }

    [Fact]
    public async Task An_operation_whose_record_cannot_be_made_durable_is_refused()
    {
        await using var client = Client(failOpen: false);
        var error = await Assert.ThrowsAsync<HdsAuditException>(() => client.GetVersionsAsync("k", new HdsRequestOptions { Context = Alice }, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken).AsTask());
        Assert.Equal(HdsErrorCode.AuditUnavailable, error.ErrorCode);
    }

    [Fact]
    public async Task Fail_open_is_an_explicit_opt_in()
    {
        await using var client = Client(failOpen: true);
        Assert.Empty(await client.GetVersionsAsync("k", new HdsRequestOptions { Context = Alice }, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));
    }

    private sealed class BrokenSink : HdsAuditSink
    {
        public override ValueTask<HdsAuditRecord> WriteAsync(HdsAuditRecord record, CancellationToken cancellationToken) =>
            throw new IOException("disk full");
    }
}
