using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends.S3;
using Hds.Storage.Keys;
using Hds.Storage.Models;

namespace Hds.Storage.IntegrationTests.Faults;

/// <summary>
/// A server that lies (a compromised or broken gateway, a man in the middle on plain HTTP): every test asserts a typed
/// <see cref="HdsStorageException"/>, no receipt or content for what was not verified, and an end bounded by the request timeout.
/// </summary>
public sealed class LyingServerTests : IAsyncDisposable
{
    private const int SegmentSize = 4096;
    private static readonly HdsAccessContext Context = new("agent-1", "tenant-a", "care");
    private readonly LyingS3Server _server = new();
    private readonly MemoryAuditSink _audit = new();
    private readonly byte[] _content = RandomNumberGenerator.GetBytes((3 * SegmentSize) + 100);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Honest_stub_round_trips_so_the_lies_below_are_what_fails()
    {
        await using var client = CreateClient();
        var receipt = await client.PutAsync("doc", new MemoryStream(_content), Put(), Token);
        Assert.Equal(_content, await ReadAsync(client, new HdsGetOptions { Context = Context, VersionId = receipt.VersionId }));
        await client.VerifyAsync("doc", new HdsVerifyOptions { Context = Context, Receipt = receipt }, Token);
    }

    [Fact]
    public async Task Put_answered_without_a_version_id_is_refused()
    {
        _server.Lie = (r, honest) => IsObjectPut(r) ? Strip(honest, "x-amz-version-id") : honest;
        await using var client = CreateClient();
        await Assert.ThrowsAsync<HdsConfigurationException>(() => client.PutAsync("doc", new MemoryStream(_content), Put(), Token));
        Assert.DoesNotContain(_audit.Records, r => r.Operation == HdsOperation.Put && r.Outcome == HdsAuditOutcome.Succeeded);
    }

    [Fact]
    public async Task Put_answered_200_for_a_write_the_server_did_not_keep_is_refused()
    {
        _server.Lie = (r, honest) =>
        {
            if (IsObjectPut(r))
            {
                var ghost = new StubResponse();
                ghost.Headers["ETag"] = "\"0\"";
                ghost.Headers["x-amz-version-id"] = "ghost-version";
                return ghost;
            }

            return honest;
        };
        await using var client = CreateClient();
        await Assert.ThrowsAnyAsync<HdsStorageException>(() => client.PutAsync("doc", new MemoryStream(_content), Put(), Token));
    }

    [Fact]
    public async Task Put_whose_stored_length_differs_from_what_was_sent_is_refused_and_the_version_removed()
    {
        _server.Lie = (r, honest) =>
        {
            if (r.Method == "HEAD" && r.IsObject)
            {
                honest.DeclaredLength = honest.Body.Length + 1;
            }

            return honest;
        };
        await using var client = CreateClient();
        await Assert.ThrowsAsync<HdsIntegrityException>(() => client.PutAsync("doc", new MemoryStream(_content), Put(), Token));
        Assert.Contains(_server.Requests, r => r.Method == "DELETE" && r.Query.ContainsKey("versionId"));
        Assert.Empty(_server.Versions("tenant-a/doc"));
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("shorter")]
    [InlineData("governance")]
    [InlineData("garbage-date")]
    public async Task Put_whose_retention_headers_lie_is_refused_and_the_version_removed(string lie)
    {
        _server.Lie = (r, honest) =>
        {
            if (r.Method == "HEAD" && r.IsObject)
            {
                switch (lie)
                {
                    case "missing":
                        Strip(honest, "x-amz-object-lock-mode", "x-amz-object-lock-retain-until-date");
                        break;
                    case "shorter":
                        honest.Headers["x-amz-object-lock-retain-until-date"] = DateTime.UtcNow.AddDays(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
                        break;
                    case "governance":
                        honest.Headers["x-amz-object-lock-mode"] = "GOVERNANCE";
                        break;
                    default:
                        honest.Headers["x-amz-object-lock-retain-until-date"] = "not-a-date";
                        break;
                }
            }

            return honest;
        };
        await using var client = CreateClient();
        await Assert.ThrowsAnyAsync<HdsStorageException>(() => client.PutAsync("doc", new MemoryStream(_content), Put(), Token));
        Assert.Contains(_server.Requests, r => r.Method == "DELETE" && r.Query.ContainsKey("versionId"));
        Assert.DoesNotContain(_audit.Records, r => r.Operation == HdsOperation.Put && r.Outcome == HdsAuditOutcome.Succeeded);
    }

    [Fact]
    public async Task Get_with_a_body_cut_short_and_a_matching_length_is_an_integrity_error_releasing_only_verified_segments()
    {
        await using var client = CreateClient();
        var receipt = await client.PutAsync("doc", new MemoryStream(_content), Put(), Token);
        _server.Lie = (r, honest) => r.Method == "GET" && r.IsObject ? Cut(honest, honest.Body.Length - 30, declareFull: false) : honest;

        var (released, error) = await TryReadAsync(client, new HdsGetOptions { Context = Context, VersionId = receipt.VersionId });
        Assert.IsType<HdsIntegrityException>(error);
        AssertVerifiedPrefix(released);
    }

    [Fact]
    public async Task Get_with_a_body_shorter_than_its_content_length_fails_typed_releasing_only_verified_segments()
    {
        await using var client = CreateClient();
        var receipt = await client.PutAsync("doc", new MemoryStream(_content), Put(), Token);
        _server.Lie = (r, honest) => r.Method == "GET" && r.IsObject ? Cut(honest, SegmentSize + 500, declareFull: true) : honest;

        var (released, error) = await TryReadAsync(client, new HdsGetOptions { Context = Context, VersionId = receipt.VersionId });
        Assert.IsAssignableFrom<HdsStorageException>(error);
        AssertVerifiedPrefix(released);
    }

    [Fact]
    public async Task Get_with_appended_bytes_is_an_integrity_error()
    {
        await using var client = CreateClient();
        var receipt = await client.PutAsync("doc", new MemoryStream(_content), Put(), Token);
        _server.Lie = (r, honest) =>
        {
            if (r.Method == "GET" && r.IsObject)
            {
                honest.Body = [.. honest.Body, .. new byte[57]];
            }

            return honest;
        };

        var (released, error) = await TryReadAsync(client, new HdsGetOptions { Context = Context, VersionId = receipt.VersionId });
        Assert.True(error is HdsIntegrityException, error?.ToString());
        AssertVerifiedPrefix(released);
    }

    [Fact]
    public async Task Regression_get_of_a_version_answered_with_another_version_is_refused()
    {
        // Before the fix the client returned whatever version the server chose: a rollback to a stale version went unseen.
        await using var client = CreateClient();
        var old = await client.PutAsync("doc", new MemoryStream(Encoding.ASCII.GetBytes("old content")), Put(), Token);
        var current = await client.PutAsync("doc", new MemoryStream(_content), Put(), Token);
        _server.Lie = (r, honest) =>
            r.Method == "GET" && r.IsObject && r.Query.GetValueOrDefault("versionId") == current.VersionId
                ? LyingS3Server.Read(_server.Versions("tenant-a/doc")[0], r.Headers.GetValueOrDefault("Range"))
                : honest;

        var (released, error) = await TryReadAsync(client, new HdsGetOptions { Context = Context, VersionId = current.VersionId });
        Assert.IsType<HdsIntegrityException>(error);
        Assert.Empty(released);
        Assert.NotEqual(old.VersionId, current.VersionId);
    }

    [Fact]
    public async Task Stale_version_served_under_the_requested_version_id_fails_verification_against_the_receipt()
    {
        await using var client = CreateClient();
        await client.PutAsync("doc", new MemoryStream(Encoding.ASCII.GetBytes("old content")), Put(), Token);
        var current = await client.PutAsync("doc", new MemoryStream(_content), Put(), Token);
        _server.Lie = (r, honest) =>
        {
            if (r.Method == "GET" && r.IsObject)
            {
                var stale = LyingS3Server.Read(_server.Versions("tenant-a/doc")[0], r.Headers.GetValueOrDefault("Range"));
                stale.Headers["x-amz-version-id"] = current.VersionId; // the lie is complete: even the version id matches
                return stale;
            }

            return honest;
        };

        await Assert.ThrowsAsync<HdsIntegrityException>(() => client.VerifyAsync("doc", new HdsVerifyOptions { Context = Context, Receipt = current }, Token));
    }

    [Fact]
    public async Task Get_answered_without_a_version_id_is_refused()
    {
        await using var client = CreateClient();
        await client.PutAsync("doc", new MemoryStream(_content), Put(), Token);
        _server.Lie = (r, honest) => r.Method == "GET" && r.IsObject ? Strip(honest, "x-amz-version-id") : honest;
        var (released, error) = await TryReadAsync(client, new HdsGetOptions { Context = Context });
        Assert.IsAssignableFrom<HdsStorageException>(error);
        Assert.Empty(released);
    }

    [Fact]
    public async Task Ranged_get_with_a_lying_total_length_is_an_integrity_error()
    {
        await using var client = CreateClient();
        var receipt = await client.PutAsync("doc", new MemoryStream(_content), Put(), Token);
        _server.Lie = (r, honest) =>
        {
            if (r.Method == "GET" && honest.Headers.TryGetValue("Content-Range", out var range))
            {
                var total = long.Parse(range[(range.LastIndexOf('/') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                honest.Headers["Content-Range"] = range[..(range.LastIndexOf('/') + 1)] + (total - (SegmentSize + 16));
            }

            return honest;
        };

        var options = new HdsGetOptions { Context = Context, VersionId = receipt.VersionId, Range = new HdsContentRange(2 * SegmentSize, 200) };
        var (released, error) = await TryReadAsync(client, options);
        Assert.IsType<HdsIntegrityException>(error);
        Assert.Empty(released);
    }

    [Theory]
    [InlineData("<VersioningConfiguration><Status>Enabled")]
    [InlineData("not xml at all")]
    [InlineData("")]
    public async Task Malformed_xml_in_the_bucket_check_is_a_typed_error_and_nothing_is_written(string body)
    {
        _server.Lie = (r, honest) => !r.IsObject && r.Has("versioning") ? new StubResponse { Body = Encoding.UTF8.GetBytes(body), Headers = { ["Content-Type"] = "application/xml" } } : honest;
        await using var client = CreateClient();
        await Assert.ThrowsAnyAsync<HdsStorageException>(() => client.PutAsync("doc", new MemoryStream(_content), Put(), Token));
        Assert.DoesNotContain(_server.Requests, r => r.Method == "PUT");
    }

    [Fact]
    public async Task Malformed_xml_error_document_on_a_write_is_a_typed_error()
    {
        _server.Lie = (r, honest) => IsObjectPut(r) ? new StubResponse { Status = 400, Body = "<Error><Code>Bad"u8.ToArray() } : honest;
        await using var client = CreateClient();
        await Assert.ThrowsAnyAsync<HdsStorageException>(() => client.PutAsync("doc", new MemoryStream(_content), Put(), Token));
    }

    [Fact]
    public async Task A_server_that_never_answers_ends_with_a_typed_error_within_the_request_timeout()
    {
        _server.Lie = (r, honest) => IsObjectPut(r) ? new StubResponse { Hang = true } : honest;
        await using var client = CreateClient();
        await Assert.ThrowsAsync<HdsBackendUnavailableException>(() => client.PutAsync("doc", new MemoryStream(_content), Put(), Token));
    }

    [Fact]
    public async Task A_read_that_stalls_mid_body_ends_with_a_typed_error()
    {
        await using var client = CreateClient();
        var receipt = await client.PutAsync("doc", new MemoryStream(_content), Put(), Token);
        _server.Lie = (r, honest) => r.Method == "GET" && r.IsObject ? new StubResponse { Hang = true } : honest;
        var (released, error) = await TryReadAsync(client, new HdsGetOptions { Context = Context, VersionId = receipt.VersionId });
        Assert.IsAssignableFrom<HdsStorageException>(error);
        Assert.Empty(released);
    }

    private HdsStorageClient CreateClient()
    {
        var options = new HdsStorageOptions
        {
            S3 = new HdsS3StorageOptions
            {
                ServiceUrl = _server.Endpoint,
                Bucket = LyingS3Server.Bucket,
                AccessKey = "STUBACCESSKEY",
                SecretKey = "stub-secret",
                RequestTimeout = TimeSpan.FromSeconds(2),
            },
        };
        options.Encryption.KeyProvider = new FixedKeyProvider();
        options.Encryption.SegmentSize = SegmentSize;
        options.Audit.Sink = _audit;
        return new HdsStorageClient(options);
    }

    private static HdsPutOptions Put() => new() { Context = Context };

    private static bool IsObjectPut(StubRequest r) => r.Method == "PUT" && r.IsObject && r.Query.Count == 0;

    private static StubResponse Strip(StubResponse response, params string[] headers)
    {
        foreach (var header in headers)
        {
            response.Headers.Remove(header);
        }

        return response;
    }

    private static StubResponse Cut(StubResponse response, int length, bool declareFull)
    {
        var full = response.Body.Length;
        response.Body = response.Body[..length];
        if (declareFull)
        {
            response.DeclaredLength = full;
        }

        return response;
    }

    // What a reader may have received before the failure: whole verified segments of the true content, nothing else.
    private void AssertVerifiedPrefix(byte[] released)
    {
        Assert.Equal(0, released.Length % SegmentSize);
        Assert.True(released.Length < _content.Length);
        Assert.Equal(_content.AsSpan(0, released.Length).ToArray(), released);
    }

    private static async Task<byte[]> ReadAsync(HdsStorageClient client, HdsGetOptions options)
    {
        var (released, error) = await TryReadAsync(client, options);
        return error is null ? released : throw error;
    }

    private static async Task<(byte[] Released, Exception? Error)> TryReadAsync(HdsStorageClient client, HdsGetOptions options)
    {
        var released = new MemoryStream();
        try
        {
            await using var download = await client.GetAsync("doc", options, Token);
            var buffer = new byte[1000];
            int n;
            while ((n = await download.Content.ReadAsync(buffer, Token)) > 0)
            {
                released.Write(buffer, 0, n);
            }

            return (released.ToArray(), null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !Token.IsCancellationRequested)
        {
            return (released.ToArray(), ex);
        }
    }

    private sealed class FixedKeyProvider : HdsKeyEncryptionKeyProvider
    {
        private static readonly byte[] Kek = RandomNumberGenerator.GetBytes(32);

        public override ValueTask<HdsWrappedDataKey> WrapDataKeyAsync(ReadOnlyMemory<byte> dataKey, CancellationToken cancellationToken)
        {
            using var aes = Aes.Create();
            aes.Key = Kek;
            return ValueTask.FromResult(new HdsWrappedDataKey("stub-kek", aes.EncryptKeyWrapPadded(dataKey.Span)));
        }

        public override ValueTask<byte[]> UnwrapDataKeyAsync(string keyId, ReadOnlyMemory<byte> wrappedDataKey, CancellationToken cancellationToken)
        {
            using var aes = Aes.Create();
            aes.Key = Kek;
            return ValueTask.FromResult(aes.DecryptKeyWrapPadded(wrappedDataKey.Span));
        }
    }

    private sealed class MemoryAuditSink : HdsAuditSink
    {
        public ConcurrentQueue<HdsAuditRecord> Records { get; } = new();

        public override ValueTask<HdsAuditRecord> WriteAsync(HdsAuditRecord record, CancellationToken cancellationToken)
        {
            Records.Enqueue(record);
            return ValueTask.FromResult(record);
        }
    }
}
