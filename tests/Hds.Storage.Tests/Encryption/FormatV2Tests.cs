using Hds.Storage.Backends;
using Hds.Storage.Backends.Local;
using Hds.Storage.Encryption;
using Hds.Storage.Models;
using Hds.Storage.Objects;
using Hds.Storage.Retention;
using Hds.Storage.Tests.TestSupport;
using static Hds.Storage.Tests.TestSupport.TestCertificates;

// Each test runs in well under a second against a temporary directory.
#pragma warning disable xUnit1051

namespace Hds.Storage.Tests.Encryption;

/// <summary>
/// Format 2 binds the stored bytes to their write (docs/format.md §6.1): a bucket writer who stores an older version's bytes
/// (and metadata) again as the newest version is refused on read, whatever the read; format 1 objects stay readable.
/// The embedded store dates versions with the test clock, so versions can be hours apart.
/// </summary>
public sealed class FormatV2Tests : IDisposable
{
    private readonly TestStore _store = new();
    private readonly byte[] _old = Codec.Pattern(10_000, 1);
    private readonly byte[] _current = Codec.Pattern(12_000, 2);

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Regression_issue_14_an_older_version_stored_again_as_the_newest_is_refused_on_every_read()
    {
        await using var client = _store.Client(Operational);
        var old = await client.PutAsync("doc", new MemoryStream(_old), TestStore.Put());
        _store.Time.Advance(TimeSpan.FromHours(1));
        var current = await client.PutAsync("doc", new MemoryStream(_current), TestStore.Put());
        Assert.Equal(2, current.FormatVersion);
        Assert.NotNull(current.WriteId);
        _store.Time.Advance(TimeSpan.FromHours(1));

        await ReplayAsync(old.VersionId);

        var full = await Assert.ThrowsAsync<HdsIntegrityException>(() => TestStore.ReadAllAsync(client, "doc", TestStore.Get()));
        Assert.Contains("rollback", full.Message, StringComparison.Ordinal);
        foreach (var range in new[] { new HdsContentRange(0, 10), new HdsContentRange(9_990), new HdsContentRange(10_000, 0), new HdsContentRange(0) })
        {
            var options = TestStore.Get();
            options.Range = range;
            var (released, error) = await ReadAsync(client, options);
            Assert.IsType<HdsIntegrityException>(error);
            Assert.Empty(released);
        }

        await Assert.ThrowsAsync<HdsIntegrityException>(() => client.VerifyAsync("doc", new HdsVerifyOptions { Context = TestStore.Context() }));

        // The versions themselves, read by id, are intact.
        Assert.Equal(_old, await TestStore.ReadAllAsync(client, "doc", TestStore.Get(versionId: old.VersionId)));
        Assert.Equal(_current, await TestStore.ReadAllAsync(client, "doc", TestStore.Get(versionId: current.VersionId)));
    }

    [Fact]
    public async Task A_replay_within_the_tolerance_reads_back_and_the_receipt_still_catches_it()
    {
        // The residual window (docs/security.md R2): a version replayed less than the tolerance after it was written.
        await using var client = _store.Client(Operational);
        var old = await client.PutAsync("doc", new MemoryStream(_old), TestStore.Put());
        var current = await client.PutAsync("doc", new MemoryStream(_current), TestStore.Put());
        _store.Time.Advance(WriteBinding.Tolerance - TimeSpan.FromMinutes(1));

        var latest = await ReplayAsync(old.VersionId);

        Assert.Equal(_old, await TestStore.ReadAllAsync(client, "doc", TestStore.Get()));
        await Assert.ThrowsAsync<HdsIntegrityException>(() => client.VerifyAsync("doc", new HdsVerifyOptions { Context = TestStore.Context(), Receipt = current with { VersionId = latest } }));
    }

    [Fact]
    public async Task Bytes_of_another_write_under_a_version_whose_metadata_names_this_write_are_refused()
    {
        await using var client = _store.Client(Operational);
        var old = await client.PutAsync("doc", new MemoryStream(_old), TestStore.Put());
        var current = await client.PutAsync("doc", new MemoryStream(_current), TestStore.Put());
        var backend = Backend();
        var physical = ObjectKeys.ToPhysical("tenant-a", "doc");
        var currentHead = await backend.HeadAsync(physical, current.VersionId, CancellationToken.None);

        // The old bytes stored again at once (within the tolerance), but under the current version's metadata.
        await backend.PutAsync(
            new BackendWriteRequest(physical, "application/octet-stream", currentHead.Metadata, new HdsRetentionInfo(HdsRetentionMode.None, null, false)),
            new MemoryStream(await ReadStoredAsync(backend, physical, old.VersionId)), CancellationToken.None);

        var error = await Assert.ThrowsAsync<HdsIntegrityException>(() => TestStore.ReadAllAsync(client, "doc", TestStore.Get()));
        Assert.Contains("another write", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Format_1_objects_stay_readable_and_format_2_round_trips_through_the_codec()
    {
        var keys = new TestKeyProvider();
        var v1 = new FormatV1(keys, FormatV1.MinSegmentSize, writeVersion: FormatV1.Version);
        var v2 = new FormatV1(keys, FormatV1.MinSegmentSize);
        var content = Codec.Pattern((2 * FormatV1.MinSegmentSize) + 7);

        var (stored1, seal1) = await Codec.EncodeAsync(v1, content);
        var (stored2, seal2) = await Codec.EncodeAsync(v2, content);

        Assert.Equal(1, seal1.FormatVersion);
        Assert.Null(seal1.WriteId);
        Assert.Equal(2, seal2.FormatVersion);
        Assert.Equal(stored1.Length + FormatV1Header.WriteBindingLength + 8, stored2.Length); // header binding + seal time
        Assert.Equal(content, (await Codec.DecodeAsync(v2, stored1)).Released); // a format 2 writer reads format 1
        var (released, error, seal) = await Codec.DecodeAsync(v2, stored2);
        Assert.Null(error);
        Assert.Equal(content, released);
        Assert.Equal(seal2.WriteId, seal!.WriteId);
        Assert.Equal(content.AsSpan(5000, 100).ToArray(), (await Codec.DecodeRangeAsync(v2, stored2, 5000, 100)).Released);
        Assert.True(FormatV1.TryGetLayout(stored2.Length, FormatV1Header.ReadLength(stored2), FormatV1.MinSegmentSize, FormatV1.MaxTrailerLength, out _, out var length));
        Assert.Equal(content.Length, length);

        // Without the metadata naming the write, or dated long after the seal, format 2 is refused.
        var dated = Codec.AsWritten(stored2);
        Assert.IsType<HdsIntegrityException>((await Codec.DecodeAsync(v2, stored2, version: dated with { Metadata = new Dictionary<string, string>() })).Error);
        Assert.IsType<HdsIntegrityException>((await Codec.DecodeAsync(v2, stored2, version: dated with { LastModified = dated.LastModified.AddHours(2) })).Error);
        Assert.IsType<HdsIntegrityException>((await Codec.DecodeRangeAsync(v2, stored2, 0, 10, version: dated with { LastModified = dated.LastModified.AddHours(2) })).Error);
        Assert.IsType<HdsIntegrityException>((await Codec.DecodeAsync(v2, stored2, version: dated with { LastModified = dated.LastModified.AddHours(-2) })).Error);
    }

    private LocalBackend Backend() => new(new HdsLocalStorageOptions { Path = _store.Path }, _store.Time);

    // What a bucket writer can do: store an existing version's bytes, content type and metadata again as a new version.
    private async Task<string> ReplayAsync(string versionId)
    {
        var backend = Backend();
        var physical = ObjectKeys.ToPhysical("tenant-a", "doc");
        var head = await backend.HeadAsync(physical, versionId, CancellationToken.None);
        var written = await backend.PutAsync(
            new BackendWriteRequest(physical, head.ContentType ?? "application/octet-stream", head.Metadata, new HdsRetentionInfo(HdsRetentionMode.None, null, false)),
            new MemoryStream(await ReadStoredAsync(backend, physical, versionId)), CancellationToken.None);
        return written.VersionId;
    }

    private static async Task<byte[]> ReadStoredAsync(StorageBackend backend, string physical, string versionId)
    {
        await using var read = await backend.GetAsync(physical, versionId, null, CancellationToken.None);
        using var buffer = new MemoryStream();
        await read.Body.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static async Task<(byte[] Released, Exception? Error)> ReadAsync(HdsStorageClient client, HdsGetOptions options)
    {
        var released = new MemoryStream();
        try
        {
            await using var download = await client.GetAsync("doc", options);
            await download.Content.CopyToAsync(released);
            return (released.ToArray(), null);
        }
        catch (HdsStorageException ex)
        {
            return (released.ToArray(), ex);
        }
    }
}
