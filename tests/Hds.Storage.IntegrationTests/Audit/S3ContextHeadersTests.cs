using Amazon.Runtime;
using Hds.Storage.Access;
using Hds.Storage.IntegrationTests.Infrastructure;

namespace Hds.Storage.IntegrationTests.Audit;

/// <summary>Every S3 request carries the pseudonymous context headers, and the real RGW round trip still works with them.</summary>
public sealed class S3ContextHeadersTests
{
    [Fact]
    public async Task Every_request_to_RGW_carries_the_pseudonymous_context_headers()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await S3Server.GetAsync();
        var bucket = await server.CreateBucketAsync();
        var recorder = new RecordingFactory();
        var spool = Path.Combine(Path.GetTempPath(), "hds-hdr-" + Guid.NewGuid().ToString("N"));
        var options = new HdsStorageOptions { S3 = server.Options(bucket) };
        TestCertificates.Apply(options);
        options.S3.HttpClientFactory = recorder;
        options.Audit.SpoolDirectory = spool;
        var context = new HdsAccessContext("agent-4711", "msa", "claim-processing") { CorrelationId = "corr-9", Application = "app-1", PatientPseudonym = "pp-123" };
        try
        {
            await using (var client = new HdsStorageClient(options))
            {
                var receipt = await client.PutAsync("h.txt", new MemoryStream([1, 2, 3]), new PutOptions { Context = context }, ct);
                await using var download = await client.GetAsync("h.txt", new GetOptions { Context = context, VersionId = receipt.VersionId }, ct);
                Assert.Equal(new byte[] { 1, 2, 3 }, await TestContent.ReadAllAsync(download.Content));
            }

            Assert.All(recorder.Requests, r => Assert.True(r.Headers.ContainsKey(HdsContextHeaders.Actor), r.Path));
            var user = recorder.Requests.Where(r => r.Headers.GetValueOrDefault(HdsContextHeaders.Operation) != "AuditUpload").ToList();
            Assert.True(user.Count >= 4, $"{user.Count} requests");
            Assert.All(user, r =>
            {
                Assert.Equal("agent-4711", r.Headers[HdsContextHeaders.Actor]);
                Assert.Equal("msa", r.Headers[HdsContextHeaders.Tenant]);
                Assert.Equal("claim-processing", r.Headers[HdsContextHeaders.Purpose]);
                Assert.Equal("corr-9", r.Headers[HdsContextHeaders.CorrelationId]);
                Assert.Equal("app-1", r.Headers[HdsContextHeaders.Application]);
                Assert.False(r.Headers.ContainsKey(HdsContextHeaders.PatientPseudonym));
            });
            Assert.Contains(user, r => r.Headers[HdsContextHeaders.Operation] == "Put");
            Assert.Contains(user, r => r.Headers[HdsContextHeaders.Operation] == "Get");

            // The audit uploads are tagged as the SDK's own service actor.
            Assert.Contains(recorder.Requests, r => r.Path.Contains("/_hds/audit/", StringComparison.Ordinal) && r.Headers[HdsContextHeaders.Actor] == "hds-audit");
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    [Fact]
    public async Task StorageGrid_consistency_control_goes_on_reads_writes_and_listings_as_configured_and_nowhere_when_unset()
    {
        var ct = TestContext.Current.CancellationToken;
        var server = await S3Server.GetAsync();
        var bucket = await server.CreateBucketAsync();
        var context = new HdsAccessContext("agent-4711", "msa", "claim-processing");
        foreach (var configured in new[] { true, false })
        {
            var recorder = new RecordingFactory();
            var options = new HdsStorageOptions { S3 = server.Options(bucket) };
            TestCertificates.Apply(options);
            options.S3.HttpClientFactory = recorder;
            if (configured)
            {
                options.S3.ConsistencyControl.Reads = "strong-site";
                options.S3.ConsistencyControl.Writes = "strong-global";
                options.S3.ConsistencyControl.Listings = "all";
            }

            await using (var client = new HdsStorageClient(options))
            {
                var receipt = await client.PutAsync("cc.txt", new MemoryStream([1, 2, 3]), new PutOptions { Context = context }, ct);
                await using (var download = await client.GetAsync("cc.txt", new GetOptions { Context = context, VersionId = receipt.VersionId }, ct))
                {
                    Assert.Equal(new byte[] { 1, 2, 3 }, await TestContent.ReadAllAsync(download.Content)); // RGW ignores the header
                }

                await client.ListAsync("", new ListOptions { Context = context }, ct);
                await client.DeleteAsync("cc.txt", new HdsRequestOptions { Context = context }, ct); // a delete marker: a write
            }

            var byKind = recorder.Requests.GroupBy(r => r.Kind).ToDictionary(g => g.Key, g => g.Select(r => r.Headers.GetValueOrDefault("consistency-control")).ToList());
            Assert.True(byKind.ContainsKey("write") && byKind.ContainsKey("read") && byKind.ContainsKey("list"), string.Join(", ", byKind.Keys));
            Assert.All(byKind["write"], v => Assert.Equal(configured ? "strong-global" : null, v));
            Assert.All(byKind["read"], v => Assert.Equal(configured ? "strong-site" : null, v));
            Assert.All(byKind["list"], v => Assert.Equal(configured ? "all" : null, v));
        }
    }

    [Fact]
    public void A_consistency_control_value_storagegrid_does_not_know_is_a_configuration_error()
    {
        var options = new HdsStorageOptions { S3 = new Hds.Storage.Backends.S3.S3StorageOptions { ServiceUrl = new Uri("http://127.0.0.1:1"), Bucket = "hds-bucket" } };
        options.S3.ConsistencyControl.Writes = "strong";
        var error = Assert.Throws<HdsConfigurationException>(() => new HdsStorageClient(options));
        Assert.Contains("S3.ConsistencyControl.Writes", error.Message, StringComparison.Ordinal);
    }

    private sealed class RecordingFactory : HttpClientFactory
    {
        public List<(string Path, Dictionary<string, string> Headers, string Kind)> Requests { get; } = [];

        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new Recorder(this, new SocketsHttpHandler()));

        private sealed class Recorder(RecordingFactory owner, HttpMessageHandler inner) : DelegatingHandler(inner)
        {
            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var headers = request.Headers.Where(h => h.Key.StartsWith("x-hds-", StringComparison.OrdinalIgnoreCase) || h.Key.Equals("Consistency-Control", StringComparison.OrdinalIgnoreCase))
                    .ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value), StringComparer.Ordinal);
                var path = Uri.UnescapeDataString(request.RequestUri!.AbsolutePath);
                var kind = request.Method == HttpMethod.Get || request.Method == HttpMethod.Head
                    ? (path.Trim('/').Contains('/', StringComparison.Ordinal) ? "read" : "list")
                    : "write";
                lock (owner.Requests)
                {
                    owner.Requests.Add((path, headers, kind));
                }

                return base.SendAsync(request, cancellationToken);
            }
        }
    }
}
