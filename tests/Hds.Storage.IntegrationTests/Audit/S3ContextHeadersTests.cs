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

    private sealed class RecordingFactory : HttpClientFactory
    {
        public List<(string Path, Dictionary<string, string> Headers)> Requests { get; } = [];

        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new Recorder(this, new SocketsHttpHandler()));

        private sealed class Recorder(RecordingFactory owner, HttpMessageHandler inner) : DelegatingHandler(inner)
        {
            protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var headers = request.Headers.Where(h => h.Key.StartsWith("x-hds-", StringComparison.OrdinalIgnoreCase))
                    .ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value), StringComparer.Ordinal);
                lock (owner.Requests)
                {
                    owner.Requests.Add((Uri.UnescapeDataString(request.RequestUri!.AbsolutePath), headers));
                }

                return base.SendAsync(request, cancellationToken);
            }
        }
    }
}
