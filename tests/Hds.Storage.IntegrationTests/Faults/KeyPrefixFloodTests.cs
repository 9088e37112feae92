using Amazon.S3.Model;
using Hds.Storage.Access;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Models;
using static Hds.Storage.IntegrationTests.Infrastructure.TestContent;

namespace Hds.Storage.IntegrationTests.Faults;

/// <summary>
/// A holder of the bucket's credentials adds a thousand objects whose keys extend a document's key ("doc-0000"…): listing the
/// document's versions (hds versions, verify's duplicate check) used to page through all of them, every time, since the listing
/// asks for the key as a prefix. It now stops at the first page that ends past the key. Counted on the wire (a proxy in front of
/// the RGW gateway), not timed.
/// </summary>
public sealed class KeyPrefixFloodTests : IAsyncLifetime
{
    private static readonly HdsAccessContext Alice = new("agent-4711", "msa", "claim-processing");

    private S3Server _server = null!;
    private string _bucket = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await S3Server.GetAsync();
        _bucket = await _server.CreateBucketAsync();
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Listing_a_documents_versions_reads_one_page_however_many_keys_extend_its_key()
    {
        await using var proxy = new FaultProxy(_server.EndpointA.Port);
        var options = new HdsStorageOptions { S3 = _server.Options(_bucket, proxy.Url) };
        TestCertificates.Apply(options);
        await using var client = new HdsStorageClient(options);
        var receipt = await client.PutAsync("flood/doc", new MemoryStream(Random(2000, seed: 41)), new HdsPutOptions { Context = Alice }, Ct);

        // The attack, through the plain S3 API: 1,001 keys that the document's key is a prefix of (more than one listing page).
        using (var s3 = _server.PlainClient())
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, 1001), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (i, ct) =>
                await s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = $"msa/flood/doc-{i:0000}", ContentBody = "x" }, ct));
        }

        var before = ListingRequests(proxy);
        var versions = await client.GetVersionsAsync("flood/doc", new HdsRequestOptions { Context = Alice }, Ct).ToListAsync(Ct);
        var verified = await client.VerifyAsync("flood/doc", new HdsVerifyOptions { Context = Alice, Receipt = receipt }, Ct);

        Assert.Equal([receipt.VersionId], versions.Select(v => v.VersionId));
        Assert.Empty(verified.DuplicateVersionIds);
        Assert.Equal(2, ListingRequests(proxy) - before); // one page for the versions, one for verify's duplicate check
    }

    private int ListingRequests(FaultProxy proxy) =>
        proxy.RequestLines.Count(line => line.StartsWith($"GET /{_bucket}/?versions", StringComparison.Ordinal) && line.Contains("prefix=msa%2Fflood%2Fdoc", StringComparison.Ordinal));
}
