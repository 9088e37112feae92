using Amazon.Runtime;
using Hds.Storage.Access;
using Hds.Storage.IntegrationTests.Infrastructure;

namespace Hds.Storage.IntegrationTests.Audit;

/// <summary>
/// Every S3 request carries the pseudonymous context headers of the operation it runs for (each request object carries them, from
/// the explicit operation context: issue 15), and the real RGW round trip still works with them (they are signed with the request).
/// </summary>
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
                var receipt = await client.PutAsync("h.txt", new MemoryStream([1, 2, 3]), new HdsPutOptions { Context = context }, ct);
                await using var download = await client.GetAsync("h.txt", new HdsGetOptions { Context = context, VersionId = receipt.VersionId }, ct);
                Assert.Equal(new byte[] { 1, 2, 3 }, await TestContent.ReadAllAsync(download.Content));
            }

            Assert.All(recorder.Requests, r => Assert.True(r.Headers.ContainsKey(HdsContextHeaders.Actor), r.Path));
            var user = recorder.Requests.Where(r => r.Headers.GetValueOrDefault(HdsContextHeaders.Operation) is not ("AuditUpload" or "KeyRing")).ToList();
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

            // The system operations are tagged as the SDK's own service actors: the audit uploads, and the key ring's own loads and
            // key creation (the first put creates the key), which serve every operation of the client.
            Assert.Contains(recorder.Requests, r => r.Path.Contains("/_hds/audit/", StringComparison.Ordinal) && r.Headers[HdsContextHeaders.Actor] == "hds-audit");
            var keyRing = recorder.Requests.Where(r => r.Headers.GetValueOrDefault(HdsContextHeaders.Operation) == "KeyRing").ToList();
            Assert.Contains(keyRing, r => r.Path.Contains("/_hds/keys/", StringComparison.Ordinal) && r.Kind == "write");
            Assert.All(keyRing, r => Assert.Equal(("hds-keys", "hds-system", "service"),
                (r.Headers[HdsContextHeaders.Actor], r.Headers[HdsContextHeaders.Tenant], r.Headers[HdsContextHeaders.ActorKind])));
        }
        finally
        {
            Directory.Delete(spool, recursive: true);
        }
    }

    [Fact]
    public async Task A_resumed_read_carries_the_context_headers_of_the_get_it_belongs_to()
    {
        // The body breaks as the content is read, after GetAsync returned: the ranged GET resuming it is sent then, and carries the Get's
        // context all the same (the read holds its operation; no ambient value is left to carry it).
        var ct = TestContext.Current.CancellationToken;
        var server = await S3Server.GetAsync();
        var bucket = await server.CreateBucketAsync();
        var recorder = new RecordingFactory { CutFirstGetOf = "/r.bin", CutAfter = 150_000 };
        var options = new HdsStorageOptions { S3 = server.Options(bucket) };
        TestCertificates.Apply(options);
        options.S3.HttpClientFactory = recorder;
        var context = new HdsAccessContext("agent-4711", "msa", "claim-processing") { CorrelationId = "corr-7" };
        var data = new byte[256 * 1024];
        new Random(5).NextBytes(data);
        await using var client = new HdsStorageClient(options);
        var receipt = await client.PutAsync("r.bin", new MemoryStream(data), new HdsPutOptions { Context = context }, ct);
        byte[] read;
        await using (var download = await client.GetAsync("r.bin", new HdsGetOptions { Context = context, VersionId = receipt.VersionId }, ct))
        {
            read = await TestContent.ReadAllAsync(download.Content);
        }

        Assert.Equal(data, read);
        Assert.True(recorder.Cut, "the first GET's body was not cut");
        var gets = recorder.Requests.Where(r => r.Path.EndsWith("/r.bin", StringComparison.Ordinal) && r.Method == "GET").ToList();
        Assert.Equal(2, gets.Count); // the GET and its resumption from the byte reached
        Assert.StartsWith("bytes=", gets[1].Headers.GetValueOrDefault("range"), StringComparison.Ordinal);
        Assert.All(gets, r =>
        {
            Assert.Equal("agent-4711", r.Headers.GetValueOrDefault(HdsContextHeaders.Actor));
            Assert.Equal("msa", r.Headers.GetValueOrDefault(HdsContextHeaders.Tenant));
            Assert.Equal("corr-7", r.Headers.GetValueOrDefault(HdsContextHeaders.CorrelationId));
            Assert.Equal("Get", r.Headers.GetValueOrDefault(HdsContextHeaders.Operation));
        });
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
                var receipt = await client.PutAsync("cc.txt", new MemoryStream([1, 2, 3]), new HdsPutOptions { Context = context }, ct);
                await using (var download = await client.GetAsync("cc.txt", new HdsGetOptions { Context = context, VersionId = receipt.VersionId }, ct))
                {
                    Assert.Equal(new byte[] { 1, 2, 3 }, await TestContent.ReadAllAsync(download.Content)); // RGW ignores the header
                }

                await client.ListAsync("", new HdsListOptions { Context = context }, ct).ToListAsync(ct);
                var counsel = new HdsAccessContext("legal-3", "msa", HdsAuthorizationOptions.LegalHoldPurpose) { Role = HdsAuthorizationOptions.LegalRole };
                await client.SetLegalHoldAsync("cc.txt", false, new HdsVersionOptions { VersionId = receipt.VersionId, Context = counsel }, ct);
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
        var options = new HdsStorageOptions { S3 = new Hds.Storage.HdsS3StorageOptions { ServiceUrl = new Uri("http://127.0.0.1:1"), Bucket = "hds-bucket" } };
        options.S3.ConsistencyControl.Writes = "strong";
        var error = Assert.Throws<HdsConfigurationException>(() => new HdsStorageClient(options));
        Assert.Contains("S3.ConsistencyControl.Writes", error.Message, StringComparison.Ordinal);
    }

    private sealed class RecordingFactory : HttpClientFactory
    {
        public List<(string Path, Dictionary<string, string> Headers, string Kind, string Method)> Requests { get; } = [];

        /// <summary>The first whole-object GET of a path ending so has its body broken (IOException) after <see cref="CutAfter"/> bytes.</summary>
        public string? CutFirstGetOf { get; init; }

        public int CutAfter { get; init; }

        public bool Cut { get; private set; }

        public override HttpClient CreateHttpClient(IClientConfig clientConfig) => new(new Recorder(this, new SocketsHttpHandler()));

        private sealed class Recorder(RecordingFactory owner, HttpMessageHandler inner) : DelegatingHandler(inner)
        {
            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
            {
                var headers = request.Headers
                    .Where(h => h.Key.StartsWith("x-hds-", StringComparison.OrdinalIgnoreCase) || h.Key.Equals("Consistency-Control", StringComparison.OrdinalIgnoreCase)
                        || h.Key.Equals("Range", StringComparison.OrdinalIgnoreCase))
                    .ToDictionary(h => h.Key.ToLowerInvariant(), h => string.Join(",", h.Value), StringComparer.Ordinal);
                var path = Uri.UnescapeDataString(request.RequestUri!.AbsolutePath);
                var kind = request.Method == HttpMethod.Get || request.Method == HttpMethod.Head
                    ? (path.Trim('/').Contains('/', StringComparison.Ordinal) ? "read" : "list")
                    : "write";
                bool cut;
                lock (owner.Requests)
                {
                    owner.Requests.Add((path, headers, kind, request.Method.Method));
                    cut = owner.CutFirstGetOf is { } suffix && !owner.Cut && request.Method == HttpMethod.Get && request.Headers.Range is null
                        && path.EndsWith(suffix, StringComparison.Ordinal);
                    owner.Cut |= cut;
                }

                var response = await base.SendAsync(request, cancellationToken);
                if (cut && response.IsSuccessStatusCode)
                {
                    var original = response.Content;
                    var broken = new StreamContent(new BreakingStream(await original.ReadAsStreamAsync(cancellationToken), owner.CutAfter));
                    foreach (var header in original.Headers)
                    {
                        broken.Headers.TryAddWithoutValidation(header.Key, header.Value);
                    }

                    response.Content = broken;
                }

                return response;
            }
        }

        // A body whose connection breaks after some bytes.
        private sealed class BreakingStream(Stream inner, int breakAfter) : Stream
        {
            private int _read;

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => throw new NotSupportedException();

            public override long Position { get => _read; set => throw new NotSupportedException(); }

            public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

            public override int Read(Span<byte> buffer)
            {
                if (_read >= breakAfter)
                {
                    throw new IOException("connection reset (test)");
                }

                var n = inner.Read(buffer[..Math.Min(buffer.Length, breakAfter - _read)]);
                _read += n;
                return n;
            }

            public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            {
                if (_read >= breakAfter)
                {
                    throw new IOException("connection reset (test)");
                }

                var n = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, breakAfter - _read)], cancellationToken);
                _read += n;
                return n;
            }

            public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
                ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    inner.Dispose();
                }

                base.Dispose(disposing);
            }
        }
    }
}
