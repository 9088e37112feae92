using System.Security.Cryptography;
using System.Text.Json;
using Hds.Storage.Encryption;
using Hds.Storage.Tests.TestSupport;

namespace Hds.Storage.Tests.Encryption;

/// <summary>
/// The committed vectors (Encryption/vectors/*.json) pin format 1 byte for byte: every input is given (KEK, data key, salt, nonce
/// prefix, identity, segment size), with the intermediate values of docs/format.md so an independent implementation can check each
/// step. Regenerate only for a new format version: eng/write-vectors.sh (then review the diff).
/// </summary>
public sealed class KnownAnswerTests
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    // Format 2 vectors: the writer's clock reads these two times (write began, write sealed); the storage dates the version 2 s after.
    private const long WrittenAtMs = 1_764_547_200_000; // 2025-12-01T00:00:00Z
    private const long SealedAtMs = WrittenAtMs + 1_500;

    private static readonly string VectorDirectory = Path.Combine(AppContext.BaseDirectory, "Encryption", "vectors");

    public static TheoryData<string> Vectors() => new(Cases().Select(c => c.Name));

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task Committed_vector_decrypts_to_its_plaintext(string name)
    {
        var v = Load(name);
        var keys = new TestKeyProvider(v.KekId, Convert.FromHexString(v.Kek));
        var codec = new FormatV1(keys, v.SegmentSize);
        var stored = Convert.FromHexString(v.Stored);
        var identity = new ObjectIdentity(v.Tenant, v.Key);
        var (released, error, seal) = await Codec.DecodeAsync(codec, stored, identity, version: VersionOf(v));
        Assert.Null(error);
        Assert.Equal(v.Plaintext, Convert.ToHexStringLower(released));
        Assert.Equal(v.PlaintextSha256, Convert.ToHexStringLower(seal!.PlaintextSha256));
        Assert.Equal(v.FormatVersion, seal.FormatVersion);
        Assert.Equal(v.WriteId, seal.WriteId);

        // The ranged reads listed: the same stored ranges as docs/format.md §6, and the same bytes.
        foreach (var r in v.Ranges ?? [])
        {
            var (bytes, rangeError) = await Codec.DecodeRangeAsync(codec, stored, r.Offset, r.Length ?? long.MaxValue, identity, version: VersionOf(v));
            Assert.Null(rangeError);
            Assert.Equal(r.Content, Convert.ToHexStringLower(bytes));
        }
    }

    [Fact]
    public async Task Every_committed_refusal_vector_is_refused_as_listed()
    {
        var refusals = JsonSerializer.Deserialize<Refusal[]>(File.ReadAllText(Path.Combine(VectorDirectory, "refusals.json")), Json)!;
        Assert.NotEmpty(refusals);
        foreach (var r in refusals)
        {
            var v = Load(r.Vector);
            var codec = new FormatV1(new TestKeyProvider(v.KekId, Convert.FromHexString(v.Kek)), v.SegmentSize);
            var stored = Convert.FromHexString(r.Stored ?? v.Stored);
            var identity = new ObjectIdentity(v.Tenant, r.Key ?? v.Key);
            var version = VersionOf(v) with { LastModified = r.LastModified ?? VersionOf(v).LastModified };
            if (r.WriteIdMetadata is not null)
            {
                version = version with { Metadata = new Dictionary<string, string> { [Hds.Storage.Objects.MetadataNames.WriteId] = r.WriteIdMetadata } };
            }

            var error = r.Range is { } range
                ? (await Codec.DecodeRangeAsync(codec, stored, range.Offset, range.Length ?? long.MaxValue, identity, version: version)).Error
                : (await Codec.DecodeAsync(codec, stored, identity, version: version)).Error;
            Assert.True(
                r.Expected == "integrity" ? error is HdsIntegrityException : error is HdsInvalidRequestException,
                $"{r.Name}: expected {r.Expected}, got {error?.GetType().Name ?? "success"}");
        }
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public async Task Deterministic_encryption_reproduces_the_committed_bytes_and_intermediate_values(string name)
    {
        var v = Load(name);
        var produced = await ProduceAsync(Cases().Single(c => c.Name == name));
        Assert.Equal(v.Stored, produced.Stored);
        Assert.Equal(v.WrappedDek, produced.WrappedDek);
        Assert.Equal(v.SegmentKey, produced.SegmentKey);
        Assert.Equal(v.HeaderKey, produced.HeaderKey);
        Assert.Equal(v.Commitment, produced.Commitment);
        Assert.Equal(v.Context, produced.Context);
        Assert.Equal(v.WriteId, produced.WriteId);
        Assert.Equal(v.Ranges?.Count, produced.Ranges?.Count);
    }

    // A tool, not a test: it runs only when asked by name (eng/write-vectors.sh, xUnit's --explicit only), never in the suite,
    // where it would pass doing nothing. The committed files are checked by the tests above.
    [Fact(Explicit = true)]
    public async Task Write_vectors()
    {
        var target = Path.Combine(FindRepositoryTestDirectory(), "Encryption", "vectors");
        Directory.CreateDirectory(target);
        foreach (var c in Cases())
        {
            var vector = await ProduceAsync(c);
            await File.WriteAllTextAsync(Path.Combine(target, c.Name + ".json"), JsonSerializer.Serialize(vector, Json) + "\n", TestContext.Current.CancellationToken);
        }

        await File.WriteAllTextAsync(Path.Combine(target, "refusals.json"), JsonSerializer.Serialize(await RefusalsAsync(), Json) + "\n", TestContext.Current.CancellationToken);
    }

    // Each input a reader MUST refuse (docs/format.md §5, §6, §6.1), derived from a committed vector.
    private static async Task<Refusal[]> RefusalsAsync()
    {
        var v = await ProduceAsync(Cases().Single(c => c.Name == "v2-three-segments"));
        var stored = Convert.FromHexString(v.Stored);
        var h = FormatV1Header.ReadLength(stored);
        var s = v.SegmentSize + 16;
        string Hex(byte[] b) => Convert.ToHexStringLower(b);
        byte[] Flip(int at)
        {
            var copy = (byte[])stored.Clone();
            copy[at] ^= 0x01;
            return copy;
        }

        var downgraded = (byte[])stored.Clone();
        downgraded[4] = 1;
        var lastModified = DateTimeOffset.FromUnixTimeMilliseconds(SealedAtMs + 2000);
        return
        [
            new("header-bit-flip", "A bit of the salt flipped: header MAC and commitment fail.", v.Name, Hex(Flip(30)), "integrity"),
            new("segment-bit-flip", "A bit of segment 1 flipped: its tag fails.", v.Name, Hex(Flip(h + s + 10)), "integrity"),
            new("trailer-bit-flip", "A bit of the final segment flipped: its tag fails.", v.Name, Hex(Flip(stored.Length - 20)), "integrity"),
            new("truncated-at-boundary", "The final segment dropped: segment 1 is taken as final and fails (final flag).", v.Name, Hex(stored[..(h + (2 * s))]), "integrity"),
            new("truncated-to-empty", "Cut after the header and 64 bytes (looks like an empty object): fails as a final segment.", v.Name, Hex(stored[..(h + 64)]), "integrity"),
            new("truncated-to-empty-ranged", "The same, read by range 0 to the end: the final segment check fails.", v.Name, Hex(stored[..(h + 64)]), "integrity") { Range = new(0, null, "") },
            new("extended", "One byte appended.", v.Name, Hex([.. stored, 0]), "integrity"),
            new("extended-ranged", "A segment's worth appended, read by range 0:10: the final segment check fails.", v.Name, Hex([.. stored, .. new byte[s]]), "integrity") { Range = new(0, 10, "") },
            new("segments-swapped", "Segments 0 and 1 swapped.", v.Name, Hex([.. stored[..h], .. stored[(h + s)..(h + (2 * s))], .. stored[h..(h + s)], .. stored[(h + (2 * s))..]]), "integrity"),
            new("version-downgrade", "Version byte set to 1: the length no longer fits version 1 and the MAC fails.", v.Name, Hex(downgraded), "integrity"),
            new("moved-to-another-key", "Read as another object key: the identity differs, header MAC fails.", v.Name, null, "integrity") { Key = v.Key + "x" },
            new("replayed", "Dated 31 minutes after the seal: an older version stored again (§6.1).", v.Name, null, "integrity") { LastModified = DateTimeOffset.FromUnixTimeMilliseconds(SealedAtMs).AddMinutes(31) },
            new("replayed-ranged", "The same, read by range 0:10: refused before any byte.", v.Name, null, "integrity") { LastModified = DateTimeOffset.FromUnixTimeMilliseconds(SealedAtMs).AddMinutes(31), Range = new(0, 10, "") },
            new("dated-before-write", "Dated 31 minutes before the write began.", v.Name, null, "integrity") { LastModified = DateTimeOffset.FromUnixTimeMilliseconds(WrittenAtMs).AddMinutes(-31) },
            new("other-write-id", "The version's metadata names another write.", v.Name, null, "integrity") { WriteIdMetadata = new string('0', 32) },
            new("range-past-the-end", "An intact object read from beyond its end: a request error, once the final segment verified.", v.Name, null, "invalid-request") { Range = new(10_001, 1, ""), LastModified = lastModified },
        ];
    }

    private static IEnumerable<Case> Cases()
    {
        static byte[] Bytes(int length, byte start) => Enumerable.Range(0, length).Select(i => (byte)(start + i)).ToArray();
        var kek = Bytes(32, 0x00);
        var dek = Bytes(32, 0x20);
        var salt = Bytes(32, 0x40);
        var prefix = Bytes(7, 0x60);
        yield return new Case("v1-empty", "Empty content: one final segment holding only the trailer.", "tenant-a", "requests/2025/0001.pdf", 4096, kek, dek, salt, prefix, []);
        yield return new Case("v1-short", "Short content in one final segment.", "tenant-a", "requests/2025/0001.pdf", 4096, kek, dek, salt, prefix, "Bonjour, HDS."u8.ToArray());
        yield return new Case("v1-exact-two-segments", "Content of exactly two segments: the second (final) segment is full.", "msa", "aid/2025/file-42", 4096, kek, dek, salt, prefix, Bytes(8192, 0x07));
        yield return new Case("v1-three-segments-unicode-key", "Three segments, the last partial; non-ASCII object key (UTF-8 in the context).", "ratp", "dossiers/é/✓-0003", 4096, Bytes(32, 0x80), Bytes(32, 0xA0), Bytes(32, 0xC0), Bytes(7, 0xE0), Bytes(10000, 0x33));
        var writeId = Bytes(16, 0x90);
        yield return new Case("v2-empty", "Format 2, empty content: one final segment holding only the 48-byte trailer.", "tenant-a", "requests/2025/0001.pdf", 4096, kek, dek, salt, prefix, [], 2, writeId);
        yield return new Case("v2-three-segments", "Format 2, three segments of 4 KiB, the last partial.", "msa", "aid/2025/file-42", 4096, kek, dek, salt, prefix, Bytes(10000, 0x07), 2, writeId);
        yield return new Case("v2-segment-16k", "Format 2, 16 KiB segments: three segments, the last partial.", "msa", "aid/2025/file-43", 16384, Bytes(32, 0x80), Bytes(32, 0xA0), Bytes(32, 0xC0), Bytes(7, 0xE0), Bytes(40000, 0x33), 2, Bytes(16, 0x10));
        yield return new Case("v2-segment-64k-exact", "Format 2, 64 KiB segments, content of exactly one full segment.", "tenant-b", "scans/2026/é-1", 65536, kek, dek, salt, prefix, Bytes(65536, 0x55), 2, Bytes(16, 0x20));
    }

    private static async Task<Vector> ProduceAsync(Case c)
    {
        var randomness = new Queue<byte[]>([c.Dek, c.Salt, c.NoncePrefix, .. c.Version == 2 ? [c.WriteId!] : Array.Empty<byte[]>()]);
        var keys = new TestKeyProvider("kek-vector-1", c.Kek);
        var clock = new SteppingClock([WrittenAtMs, SealedAtMs]);
        var codec = new FormatV1(keys, c.SegmentSize, span => randomness.Dequeue().CopyTo(span), clock, c.Version);
        var identity = new ObjectIdentity(c.Tenant, c.Key);
        var (stored, seal) = await Codec.EncodeAsync(codec, c.Plaintext, identity);
        using var derived = FormatV1.Derive(c.Dek, c.Salt, identity);
        using var aes = Aes.Create();
        aes.Key = c.Kek;
        var vector = new Vector(
            c.Name, c.Description, c.Version, c.SegmentSize, c.Tenant, c.Key, "kek-vector-1", Hex(c.Kek), Hex(c.Dek), Hex(c.Salt), Hex(c.NoncePrefix),
            Hex(aes.EncryptKeyWrapPadded(c.Dek)), Hex(FormatV1.EncodeContext(identity)), Hex(derived.SegmentKey), Hex(derived.HeaderKey), Hex(derived.Commitment),
            Hex(c.Plaintext), Hex(seal.PlaintextSha256), Hex(stored));
        if (c.Version != 2)
        {
            return vector;
        }

        // Ranged reads: what a reader fetches (docs/format.md §6) and returns, for ranges inside, across and at the end.
        var s = c.SegmentSize;
        var l = c.Plaintext.Length;
        var ranges = new List<RangeVector>();
        foreach (var (offset, length) in new (long, long?)[] { (0, 0), (0, null), (1, 10), (Math.Max(0, s - 5), 10), (Math.Max(0, l - 3), null), (l, null) })
        {
            if (offset > l)
            {
                continue;
            }

            var end = length is { } n ? Math.Min(offset + n, l) : l;
            ranges.Add(new RangeVector(offset, length, Hex(c.Plaintext[(int)offset..(int)end])));
        }

        return vector with
        {
            WriteId = Hex(c.WriteId!),
            WrittenAtMs = WrittenAtMs,
            SealedAtMs = SealedAtMs,
            LastModified = DateTimeOffset.FromUnixTimeMilliseconds(SealedAtMs + 2000),
            Ranges = ranges,
        };
    }

    // What the storage reports for the vector's version: format 2 vectors name their write and are dated 2 s after the seal.
    private static StoredVersion VersionOf(Vector v) =>
        v.WriteId is null
            ? new StoredVersion(DateTimeOffset.UnixEpoch, new Dictionary<string, string>())
            : new StoredVersion(v.LastModified!.Value, new Dictionary<string, string> { [Hds.Storage.Objects.MetadataNames.WriteId] = v.WriteId });

    private static Vector Load(string name) =>
        JsonSerializer.Deserialize<Vector>(File.ReadAllText(Path.Combine(VectorDirectory, name + ".json")), Json)!;

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static string FindRepositoryTestDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Hds.Storage.Tests.csproj")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Run from the test project's output directory.");
    }

    private sealed record Case(
        string Name, string Description, string Tenant, string Key, int SegmentSize, byte[] Kek, byte[] Dek, byte[] Salt, byte[] NoncePrefix, byte[] Plaintext,
        byte Version = 1, byte[]? WriteId = null);

    private sealed record RangeVector(long Offset, long? Length, string Content);

    private sealed record Refusal(string Name, string Description, string Vector, string? Stored, string Expected)
    {
        public string? Key { get; init; }

        public DateTimeOffset? LastModified { get; init; }

        public string? WriteIdMetadata { get; init; }

        public RangeVector? Range { get; init; }
    }

    private sealed class SteppingClock(long[] millisecondsEachCall) : TimeProvider
    {
        private int _calls;

        public override DateTimeOffset GetUtcNow() =>
            DateTimeOffset.FromUnixTimeMilliseconds(millisecondsEachCall[Math.Min(_calls++, millisecondsEachCall.Length - 1)]);
    }

    private sealed record Vector(
        string Name,
        string Description,
        int FormatVersion,
        int SegmentSize,
        string Tenant,
        string Key,
        string KekId,
        string Kek,
        string Dek,
        string Salt,
        string NoncePrefix,
        string WrappedDek,
        string Context,
        string SegmentKey,
        string HeaderKey,
        string Commitment,
        string Plaintext,
        string PlaintextSha256,
        string Stored)
    {
        public string? WriteId { get; init; }

        public long? WrittenAtMs { get; init; }

        public long? SealedAtMs { get; init; }

        public DateTimeOffset? LastModified { get; init; }

        public List<RangeVector>? Ranges { get; init; }
    }
}
