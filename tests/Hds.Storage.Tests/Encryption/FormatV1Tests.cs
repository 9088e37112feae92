using CsCheck;
using Hds.Storage.Encryption;
using Hds.Storage.Tests.TestSupport;

namespace Hds.Storage.Tests.Encryption;

public sealed class FormatV1Tests
{
    private const int S = FormatV1.MinSegmentSize;
    private readonly TestKeyProvider _keys = new();

    private FormatV1 Codec1 => new(_keys, S, writeVersion: FormatV1.Version);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(S - 1)]
    [InlineData(S)]
    [InlineData(S + 1)]
    [InlineData(3 * S)]
    [InlineData((3 * S) + 17)]
    public async Task Round_trip_returns_the_content_and_seals_length_and_sha256(int length)
    {
        var plaintext = Codec.Pattern(length);
        var (stored, seal) = await Codec.EncodeAsync(Codec1, plaintext);

        var (released, error, verified) = await Codec.DecodeAsync(Codec1, stored);

        Assert.Null(error);
        Assert.Equal(plaintext, released);
        Assert.Equal(length, seal.PlaintextLength);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(plaintext), seal.PlaintextSha256);
        Assert.Equal(stored.Length, seal.StoredLength);
        Assert.Equal(seal.PlaintextSha256, verified!.PlaintextSha256);
        Assert.Equal(1, seal.FormatVersion);
        Assert.Equal(_keys.CurrentId, seal.KeyId);
        Assert.True(FormatV1.TryGetLayout(stored.Length, HeaderLength(stored), S, FormatV1.TrailerLength, out _, out var l));
        Assert.Equal(length, l);
    }

    [Fact]
    public void Round_trip_holds_for_random_sizes_and_read_sizes()
    {
        Gen.Select(Gen.Int[0, 5 * S], Gen.Int[1, 3 * S], Gen.Int[1, 3 * S], Gen.Int[4096, 3 * 4096]).Sample((length, writeChunk, readChunk, segment) =>
        {
            var codec = new FormatV1(_keys, segment);
            var plaintext = Codec.Pattern(length, length);
            var (stored, _) = Codec.EncodeAsync(codec, plaintext, chunk: writeChunk).GetAwaiter().GetResult();
            var (released, error, _) = Codec.DecodeAsync(codec, stored, chunk: readChunk).GetAwaiter().GetResult();
            Assert.Null(error);
            Assert.Equal(plaintext, released);
        }, iter: 60);
    }

    [Fact]
    public async Task Stored_bytes_do_not_contain_the_plaintext()
    {
        var plaintext = "Patient pseudonym P-42 diagnosis: confidential"u8.ToArray();
        var (stored, _) = await Codec.EncodeAsync(Codec1, plaintext);
        Assert.Equal(-1, stored.AsSpan().IndexOf(plaintext.AsSpan(0, 16)));
    }

    [Fact]
    public async Task Two_encryptions_of_the_same_content_differ()
    {
        var plaintext = Codec.Pattern(100);
        var (a, _) = await Codec.EncodeAsync(Codec1, plaintext);
        var (b, _) = await Codec.EncodeAsync(Codec1, plaintext);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public async Task Every_single_bit_flip_in_header_segments_and_trailer_is_refused_without_releasing_the_damaged_segment()
    {
        var plaintext = Codec.Pattern(S + 50);
        var (stored, _) = await Codec.EncodeAsync(Codec1, plaintext);
        var header = HeaderLength(stored);
        for (var bit = 0; bit < stored.Length * 8; bit++)
        {
            var damaged = (byte[])stored.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            var (released, error, _) = await Codec.DecodeAsync(Codec1, damaged);
            Assert.IsType<HdsIntegrityException>(error);
            var pos = bit / 8;
            var damagedSegment = pos < header ? -1 : (pos - header) / (S + FormatV1.TagLength);
            AssertPrefix(plaintext, released, maxLength: Math.Max(0, damagedSegment) * S);
        }
    }

    [Fact]
    public async Task Truncation_at_and_between_segment_boundaries_is_refused()
    {
        var plaintext = Codec.Pattern((3 * S) + 100);
        var (stored, _) = await Codec.EncodeAsync(Codec1, plaintext);
        var header = HeaderLength(stored);
        var cuts = new SortedSet<int>();
        for (var i = 0; i <= 4; i++)
        {
            var boundary = header + (i * (S + FormatV1.TagLength));
            foreach (var delta in new[] { -41, -40, -17, -16, -1, 0, 1, 15, 16, 17, 40, 41, 56 })
            {
                cuts.Add(Math.Clamp(boundary + delta, 0, stored.Length - 1));
            }
        }

        foreach (var cut in Gen.Int[0, stored.Length - 1].Array[40].Single())
        {
            cuts.Add(cut);
        }

        foreach (var cut in cuts)
        {
            var (released, error, _) = await Codec.DecodeAsync(Codec1, stored[..cut]);
            Assert.IsType<HdsIntegrityException>(error);
            var complete = cut <= header ? 0 : (cut - header) / (S + FormatV1.TagLength);
            AssertPrefix(plaintext, released, maxLength: complete * S);
            Assert.True(released.Length < plaintext.Length);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    [InlineData(S + 16)]
    public async Task Extension_is_refused(int extra)
    {
        var plaintext = Codec.Pattern((2 * S) + 5);
        var (stored, _) = await Codec.EncodeAsync(Codec1, plaintext);
        var (released, error, _) = await Codec.DecodeAsync(Codec1, [.. stored, .. Codec.Pattern(extra, 9)]);
        Assert.IsType<HdsIntegrityException>(error);
        Assert.True(released.Length < plaintext.Length);
    }

    [Fact]
    public async Task Segment_reordering_and_duplication_are_refused()
    {
        var plaintext = Codec.Pattern((4 * S) + 3);
        var (stored, _) = await Codec.EncodeAsync(Codec1, plaintext);
        var header = HeaderLength(stored);
        var seg = S + FormatV1.TagLength;
        byte[] Segment(int i) => stored.AsSpan(header + (i * seg), seg).ToArray();
        var head = stored[..header];
        var final = stored[(header + (4 * seg))..];

        var swapped = Concat(head, Segment(0), Segment(2), Segment(1), Segment(3), final);
        var duplicated = Concat(head, Segment(0), Segment(1), Segment(1), Segment(2), Segment(3), final);
        var dropped = Concat(head, Segment(0), Segment(2), Segment(3), final);
        foreach (var (mutated, firstChanged) in new[] { (swapped, 1), (duplicated, 2), (dropped, 1) })
        {
            var (released, error, _) = await Codec.DecodeAsync(Codec1, mutated);
            Assert.IsType<HdsIntegrityException>(error);
            AssertPrefix(plaintext, released, maxLength: firstChanged * S);
        }
    }

    [Fact]
    public async Task Splicing_segments_between_two_objects_is_refused()
    {
        var a = Codec.Pattern((3 * S) + 9, 1);
        var b = Codec.Pattern((3 * S) + 9, 2);
        var (storedA, _) = await Codec.EncodeAsync(Codec1, a);
        var (storedB, _) = await Codec.EncodeAsync(Codec1, b);
        var header = HeaderLength(storedA);
        var seg = S + FormatV1.TagLength;
        Gen.Int[0, 3].Sample(i =>
        {
            var spliced = (byte[])storedA.Clone();
            var length = i == 3 ? storedA.Length - header - (3 * seg) : seg;
            Array.Copy(storedB, header + (i * seg), spliced, header + (i * seg), length);
            var (released, error, _) = Codec.DecodeAsync(Codec1, spliced).GetAwaiter().GetResult();
            Assert.IsType<HdsIntegrityException>(error);
            AssertPrefix(a, released, maxLength: i * S);
        }, iter: 8);
    }

    [Theory]
    [InlineData("tenant-b", "requests/2025/0001.pdf")]
    [InlineData("tenant-a", "requests/2025/0002.pdf")]
    [InlineData("tenant-a", "Requests/2025/0001.pdf")]
    public async Task An_object_moved_to_another_key_or_tenant_does_not_decrypt(string tenant, string key)
    {
        var (stored, _) = await Codec.EncodeAsync(Codec1, Codec.Pattern(S * 2));
        var (released, error, _) = await Codec.DecodeAsync(Codec1, stored, new ObjectIdentity(tenant, key));
        Assert.IsType<HdsIntegrityException>(error);
        Assert.Empty(released);

        var (ranged, rangeError) = await Codec.DecodeRangeAsync(Codec1, stored, 0, 10, new ObjectIdentity(tenant, key));
        Assert.IsType<HdsIntegrityException>(rangeError);
        Assert.Empty(ranged);
    }

    [Fact]
    public async Task Identity_encoding_is_unambiguous()
    {
        // "ab" + "/c" and "a" + "b/c" must not derive the same keys.
        var (stored, _) = await Codec.EncodeAsync(Codec1, Codec.Pattern(10), new ObjectIdentity("ab", "c"));
        var (_, error, _) = await Codec.DecodeAsync(Codec1, stored, new ObjectIdentity("a", "bc"));
        Assert.IsType<HdsIntegrityException>(error);
    }

    [Theory]
    [InlineData(4, 0)] // format version 1 -> 0
    [InlineData(4, 2)]
    [InlineData(5, 0)] // suite
    [InlineData(5, 2)]
    [InlineData(10, 0x20)] // segment size 4096 -> 8192
    [InlineData(11, 0x01)] // segment size 4096 -> 4097
    public async Task Header_field_downgrades_are_refused(int offset, byte value)
    {
        var (stored, _) = await Codec.EncodeAsync(Codec1, Codec.Pattern(3 * S));
        var damaged = (byte[])stored.Clone();
        damaged[offset] = value;
        var (released, error, _) = await Codec.DecodeAsync(Codec1, damaged);
        Assert.IsType<HdsIntegrityException>(error);
        Assert.Empty(released);
    }

    [Fact]
    public async Task Unknown_revoked_and_wrong_key_ids_are_refused()
    {
        var (stored, _) = await Codec.EncodeAsync(Codec1, Codec.Pattern(100));

        _keys.Revoked.Add(_keys.CurrentId);
        Assert.IsType<HdsIntegrityException>((await Codec.DecodeAsync(Codec1, stored)).Error);
        _keys.Revoked.Clear();

        var kek = _keys[_keys.CurrentId];
        _keys[_keys.CurrentId] = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        Assert.IsType<HdsIntegrityException>((await Codec.DecodeAsync(Codec1, stored)).Error);
        _keys[_keys.CurrentId] = kek;

        var other = new TestKeyProvider("another-kek");
        Assert.IsType<HdsIntegrityException>((await Codec.DecodeAsync(new FormatV1(other, S), stored)).Error);

        // Re-pointing the header at another known key id breaks the header MAC even if that KEK unwraps nothing useful.
        _keys["test-kek-2"] = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        var relabelled = (byte[])stored.Clone();
        relabelled[13 + "test-kek-1".Length - 1] = (byte)'2';
        Assert.IsType<HdsIntegrityException>((await Codec.DecodeAsync(Codec1, relabelled)).Error);
        Assert.Null((await Codec.DecodeAsync(Codec1, stored)).Error);
    }

    [Fact]
    public async Task Ranged_reads_equal_slices_of_full_reads()
    {
        var plaintext = Codec.Pattern((5 * S) + 321);
        var (stored, _) = await Codec.EncodeAsync(Codec1, plaintext);
        Gen.Select(Gen.Int[0, plaintext.Length], Gen.Int[0, 3 * S]).Sample((offset, length) =>
        {
            var (released, error) = Codec.DecodeRangeAsync(Codec1, stored, offset, length).GetAwaiter().GetResult();
            Assert.Null(error);
            Assert.Equal(plaintext.AsSpan(offset, Math.Min(length, plaintext.Length - offset)).ToArray(), released);
        }, iter: 200);
    }

    [Fact]
    public async Task Ranged_read_of_the_whole_content_and_of_an_empty_object()
    {
        var plaintext = Codec.Pattern(2 * S);
        var (stored, _) = await Codec.EncodeAsync(Codec1, plaintext);
        Assert.Equal(plaintext, (await Codec.DecodeRangeAsync(Codec1, stored, 0, long.MaxValue)).Released);

        var (empty, _) = await Codec.EncodeAsync(Codec1, []);
        var (released, error) = await Codec.DecodeRangeAsync(Codec1, empty, 0, 10);
        Assert.Null(error);
        Assert.Empty(released);
    }

    [Fact]
    public async Task Ranged_read_beyond_the_end_is_an_invalid_request()
    {
        var (stored, _) = await Codec.EncodeAsync(Codec1, Codec.Pattern(100));
        Assert.IsType<HdsInvalidRequestException>((await Codec.DecodeRangeAsync(Codec1, stored, 101, 1)).Error);
    }

    [Fact]
    public async Task Ranged_read_reaching_a_truncated_end_is_refused()
    {
        var plaintext = Codec.Pattern((3 * S) + 100);
        var (stored, _) = await Codec.EncodeAsync(Codec1, plaintext);
        var header = HeaderLength(stored);
        var truncated = stored[..(header + (2 * (S + FormatV1.TagLength)))]; // final segment and one more dropped: length still looks valid
        var (released, error) = await Codec.DecodeRangeAsync(Codec1, truncated, S, S);
        Assert.IsType<HdsIntegrityException>(error);
        Assert.Empty(released);

        // A storage lying about the length (longer than the data it returns) is refused too.
        var (lied, lieError) = await Codec.DecodeRangeAsync(Codec1, stored, 0, plaintext.Length, reportedStoredLength: stored.Length + S + 16);
        Assert.IsType<HdsIntegrityException>(lieError);
        Assert.True(lied.Length <= 3 * S);
    }

    [Theory]
    [InlineData(0, 0L, 0L)] // empty range: before issue 14, 0 bytes and no error
    [InlineData(0, 0L, long.MaxValue)] // open-ended
    [InlineData(0, 5000L, 10L)] // past the truncated end: an integrity error, not "beyond the end"
    [InlineData(1, 0L, 100L)] // far from the end, inside a segment that still verifies
    [InlineData(2, 5000L, 100L)]
    public async Task Regression_issue_14_ranged_read_of_a_truncated_object_fails_whatever_the_range(int keptSegments, long offset, long length)
    {
        var plaintext = Codec.Pattern((3 * S) + 100);
        var (stored, _) = await Codec.EncodeAsync(Codec1, plaintext);
        var header = HeaderLength(stored);

        // The stored length stays consistent: the kept segments, then bytes taken as a final segment (empty, or 1,000 content bytes).
        var truncated = stored[..(header + (keptSegments * (S + FormatV1.TagLength)) + FormatV1.FinalOverhead + (keptSegments > 0 ? 1000 : 0))];
        var (released, error) = await Codec.DecodeRangeAsync(Codec1, truncated, offset, length);

        Assert.IsType<HdsIntegrityException>(error);
        Assert.Empty(released);
    }

    [Fact]
    public async Task Ranged_read_of_an_extended_object_fails_far_from_the_end()
    {
        var plaintext = Codec.Pattern((3 * S) + 100);
        var (stored, _) = await Codec.EncodeAsync(Codec1, plaintext);

        var (released, error) = await Codec.DecodeRangeAsync(Codec1, [.. stored, .. new byte[S + FormatV1.TagLength]], 0, 10);

        Assert.IsType<HdsIntegrityException>(error);
        Assert.Empty(released);
    }

    [Fact]
    public async Task Ranged_read_of_a_flipped_segment_releases_nothing_of_it()
    {
        var plaintext = Codec.Pattern(4 * S);
        var (stored, _) = await Codec.EncodeAsync(Codec1, plaintext);
        var header = HeaderLength(stored);
        var damaged = (byte[])stored.Clone();
        damaged[header + (2 * (S + 16)) + 5] ^= 1;
        var (released, error) = await Codec.DecodeRangeAsync(Codec1, damaged, S, 2 * S);
        Assert.IsType<HdsIntegrityException>(error);
        Assert.Equal(plaintext.AsSpan(S, S).ToArray(), released);
    }

    [Theory]
    [InlineData(0L, 56L)]
    [InlineData(1L, 57L)]
    [InlineData(4096L, 4096L + 56)]
    [InlineData(4097L, 4096L + 16 + 57)]
    public void Layout_arithmetic_maps_stored_length_to_plaintext_length(long plaintext, long body)
    {
        Assert.True(FormatV1.TryGetLayout(body + 100, 100, 4096, FormatV1.TrailerLength, out _, out var length));
        Assert.Equal(plaintext, length);
    }

    [Theory]
    [InlineData(55L)]
    [InlineData(4096L + 57)] // between a full final segment and the smallest two-segment object
    [InlineData(4096L + 72)]
    public void Layout_arithmetic_refuses_impossible_lengths(long body) =>
        Assert.False(FormatV1.TryGetLayout(body + 100, 100, 4096, FormatV1.TrailerLength, out _, out _));

    internal static int HeaderLength(byte[] stored) => FormatV1Header.ReadLength(stored);

    private static void AssertPrefix(byte[] plaintext, byte[] released, int maxLength)
    {
        Assert.True(released.Length <= maxLength, $"released {released.Length} bytes, at most {maxLength} expected");
        Assert.Equal(plaintext.AsSpan(0, released.Length).ToArray(), released);
    }

    private static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}
