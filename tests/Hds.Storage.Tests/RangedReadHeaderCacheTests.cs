using Hds.Storage.Backends.Local;
using Hds.Storage.Encryption;
using Hds.Storage.Keys;
using Hds.Storage.Models;
using Hds.Storage.Tests.TestSupport;
using static Hds.Storage.Tests.TestSupport.TestCertificates;

// Each test runs in well under a second against a temporary directory: forwarding the test cancellation token adds noise, not safety.
#pragma warning disable xUnit1051

namespace Hds.Storage.Tests;

/// <summary>
/// Ranged reads of a version whose header the client already verified cost one request; the cached header never replaces the
/// checks (segments are still authenticated, a changed stored length sends the read the long way).
/// </summary>
public sealed class RangedReadHeaderCacheTests : IDisposable
{
    private const int SegmentSize = 4096;
    private readonly TestStore _store = new();
    private readonly byte[] _content = Codec.Pattern((9 * SegmentSize) + 321);

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task A_second_ranged_read_of_a_version_is_one_request_and_returns_the_right_bytes()
    {
        var (client, backend, ring) = CreateClient();
        using (ring)
        await using (client)
        {
            var receipt = await client.PutAsync("doc", new MemoryStream(_content), TestStore.Put());

            var before = backend.ObjectReads;
            Assert.Equal(Slice(1000, 5000), await ReadRangeAsync(client, receipt.VersionId, 1000, 5000));
            Assert.Equal(2, backend.ObjectReads - before); // header + segments, the first time

            foreach (var (offset, length) in new[] { (0, 10), (3 * SegmentSize, SegmentSize + 1), (_content.Length - 50, 50), (17, _content.Length) })
            {
                before = backend.ObjectReads;
                Assert.Equal(Slice(offset, length), await ReadRangeAsync(client, receipt.VersionId, offset, length));
                Assert.Equal(1, backend.ObjectReads - before); // the segments only
            }

            // Another version of the same key has its own header.
            var second = await client.PutAsync("doc", new MemoryStream(Codec.Pattern(_content.Length, 3)), TestStore.Put());
            before = backend.ObjectReads;
            Assert.Equal(Codec.Pattern(_content.Length, 3).AsSpan(100, 200).ToArray(), await ReadRangeAsync(client, second.VersionId, 100, 200));
            Assert.Equal(2, backend.ObjectReads - before);
        }
    }

    [Fact]
    public async Task A_cached_header_does_not_hide_a_tampered_segment_or_a_truncated_object()
    {
        var (client, _, ring) = CreateClient();
        using (ring)
        await using (client)
        {
            var receipt = await client.PutAsync("doc", new MemoryStream(_content), TestStore.Put());
            Assert.Equal(Slice(0, 100), await ReadRangeAsync(client, receipt.VersionId, 0, 100));

            var file = _store.DataFile("tenant-a/doc");
            var stored = await File.ReadAllBytesAsync(file);
            var tampered = (byte[])stored.Clone();
            tampered[^(2 * SegmentSize)] ^= 0x01; // inside the second-to-last segment
            await File.WriteAllBytesAsync(file, tampered);
            await Assert.ThrowsAsync<HdsIntegrityException>(() => ReadRangeAsync(client, receipt.VersionId, _content.Length - (2 * SegmentSize), 100));

            // Truncated below the API: the range that now ends the object cannot be completed from the cached layout (a segment is
            // missing or fails its final-segment check), and nothing unverified is released.
            await File.WriteAllBytesAsync(file, stored.AsSpan(0, stored.Length - SegmentSize).ToArray());
            await Assert.ThrowsAsync<HdsIntegrityException>(() => ReadRangeAsync(client, receipt.VersionId, 8 * SegmentSize, 100));
        }
    }

    [Fact]
    public void The_cache_keeps_the_most_recently_used_headers_within_its_capacity()
    {
        var cache = new VerifiedHeaderCache(capacity: 2);
        var dated = new StoredVersion(DateTimeOffset.UnixEpoch.AddDays(1), new Dictionary<string, string>());
        cache.Add("a", "v1", [1], 10, dated);
        cache.Add("b", "v1", [2], 20, dated);
        Assert.True(cache.TryGet("a", "v1", out _, out _, out _)); // a is now the most recent
        cache.Add("c", "v1", [3], 30, dated);

        Assert.Equal(2, cache.Count);
        Assert.False(cache.TryGet("b", "v1", out _, out _, out _));
        Assert.True(cache.TryGet("a", "v1", out var header, out var length, out var version));
        Assert.Equal([1], header);
        Assert.Equal(10, length);
        Assert.Equal(dated.LastModified, version.LastModified);
        Assert.False(cache.TryGet("a", "v2", out _, out _, out _));
        cache.Remove("a", "v1");
        Assert.False(cache.TryGet("a", "v1", out _, out _, out _));
    }

    private static async Task<byte[]> ReadRangeAsync(HdsStorageClient client, string versionId, long offset, long length)
    {
        var options = TestStore.Get(versionId: versionId);
        options.Range = new HdsContentRange(offset, length);
        return await TestStore.ReadAllAsync(client, "doc", options);
    }

    private byte[] Slice(int offset, int length) => _content.AsSpan(offset, Math.Min(length, _content.Length - offset)).ToArray();

    private (HdsStorageClient Client, CountingBackend Backend, KeyRing Ring) CreateClient()
    {
        var options = _store.Options(Operational);
        var backend = new CountingBackend(new LocalBackend(options.Local!, _store.Time));
        var ring = new KeyRing(new KeyRingStore(backend, [Operational], TimeSpan.FromDays(7305), _store.Time), TimeSpan.FromDays(30), _store.Time, null, null);
        return (new HdsStorageClient(backend, new FormatV1(ring, SegmentSize), options, _store.Time), backend, ring);
    }
}
