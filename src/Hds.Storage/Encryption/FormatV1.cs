using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Hds.Storage.Backends;
using Hds.Storage.Keys;

namespace Hds.Storage.Encryption;

/// <summary>
/// Formats 1 and 2 (docs/format.md, normative; version 2 is version 1 plus the write binding, <see cref="WriteBinding"/>): a per-object random data key wrapped by a key-encryption key, per-object keys derived
/// with HKDF-SHA256 from that data key, a random salt and the object identity (tenant + key), a key commitment and an HMAC over
/// the header, then AES-256-GCM segments whose nonce binds the segment index and a final-segment flag (Tink streaming AEAD), the
/// last segment carrying the sealed plaintext length and SHA-256.
/// </summary>
internal sealed class FormatV1 : ContentCodec
{
    public const byte Version = 1;

    /// <summary>The version new objects are written in: version 1 plus the write binding that refuses replays on read.</summary>
    public const byte Version2 = 2;
    public const byte Suite = 1; // AES-256-GCM segments, HKDF-SHA256, HMAC-SHA256 header MAC, SHA-256 digest
    public const int MinSegmentSize = 4 * 1024;
    public const int MaxSegmentSize = 16 * 1024 * 1024;

    /// <summary>The default plaintext bytes per segment; measured in docs/benchmarks.md (throughput flat from 64 KiB, memory and ranged-read waste grow with it).</summary>
    public const int DefaultSegmentSize = 256 * 1024;
    public const int TagLength = 16;
    public const int TrailerLength = 8 + 32; // version 1: content length, SHA-256
    public const int MaxTrailerLength = TrailerLength + 8; // version 2 adds the seal time
    public const int DataKeyLength = 32;

    /// <summary>Stored overhead of a version 1 final segment besides its content: the trailer and the tag.</summary>
    public const int FinalOverhead = TrailerLength + TagLength;

    private static readonly byte[] SegmentKeyLabel = "HDS1 segment key\0"u8.ToArray();
    private static readonly byte[] HeaderKeyLabel = "HDS1 header key\0"u8.ToArray();
    private static readonly byte[] CommitmentLabel = "HDS1 key commitment\0"u8.ToArray();

    private readonly HdsKeyEncryptionKeyProvider _keys;
    private readonly int _segmentSize;
    private readonly Action<Span<byte>> _random;
    private readonly TimeProvider _time;
    private readonly byte _writeVersion;

    /// <summary>Creates the codec.</summary>
    /// <param name="keys">Wraps and unwraps data keys.</param>
    /// <param name="segmentSize">Plaintext bytes per segment for new objects (readers take it from the header).</param>
    /// <param name="random">The randomness for data keys, salts, nonce prefixes and write ids; only known-answer tests replace it.</param>
    /// <param name="time">The clock for the write times of format 2.</param>
    /// <param name="writeVersion">The version new objects are written in: 2; 1 only for the format 1 known-answer vectors.</param>
    public FormatV1(HdsKeyEncryptionKeyProvider keys, int segmentSize = DefaultSegmentSize, Action<Span<byte>>? random = null, TimeProvider? time = null, byte writeVersion = Version2)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentOutOfRangeException.ThrowIfLessThan(segmentSize, MinSegmentSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(segmentSize, MaxSegmentSize);
        _keys = keys;
        _segmentSize = segmentSize;
        _random = random ?? RandomNumberGenerator.Fill;
        _time = time ?? TimeProvider.System;
        _writeVersion = writeVersion is Version or Version2 ? writeVersion : throw new ArgumentOutOfRangeException(nameof(writeVersion));
    }

    /// <summary>Bytes of the trailer sealed in the final segment of an object of <paramref name="version"/>.</summary>
    public static int TrailerLengthOf(byte version) => version == Version2 ? MaxTrailerLength : TrailerLength;

    /// <summary>Health: the key ring can produce the current key-encryption key (loads, decrypts, or creates it).</summary>
    public override async ValueTask<KeyRingHealth> CheckKeyRingAsync(CancellationToken cancellationToken)
    {
        if (_keys is not Keys.KeyRing ring)
        {
            return new KeyRingHealth(true, "key-encryption keys held by an external provider");
        }

        try
        {
            var current = await ring.GetCurrentEntryAsync(cancellationToken).ConfigureAwait(false);
            return new KeyRingHealth(true, $"current key {current.Id}");
        }
        catch (HdsStorageException ex)
        {
            return new KeyRingHealth(false, $"key ring unavailable ({ex.ErrorCode})");
        }
    }

    public override int MaxHeaderLength => FormatV1Header.MaxHeaderLength;

    public static HdsIntegrityException Corrupt(string detail, Exception? inner = null) => IntegrityErrors.Corrupt(detail, inner);

    public override async ValueTask<ContentEncoder> CreateEncoderAsync(Stream plaintext, ObjectIdentity identity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plaintext);
        var dek = new byte[DataKeyLength];
        try
        {
            _random(dek);
            var wrapped = await _keys.WrapDataKeyAsync(dek, cancellationToken).ConfigureAwait(false);
            if (!FormatV1Header.IsValidKeyId(wrapped.KeyId) || wrapped.WrappedKey.Length is 0 or > FormatV1Header.MaxWrappedKeyLength)
            {
                throw new HdsConfigurationException(
                    "The key-encryption key provider returned a key id or wrapped key that format 1 cannot store (key id: 1 to 128 printable ASCII characters; wrapped key: 1 to 1024 bytes).");
            }

            var salt = new byte[FormatV1Header.SaltLength];
            var noncePrefix = new byte[FormatV1Header.NoncePrefixLength];
            _random(salt);
            _random(noncePrefix);
            var writeId = new byte[_writeVersion == Version2 ? FormatV1Header.WriteIdLength : 0];
            if (writeId.Length > 0)
            {
                _random(writeId);
            }

            var header = new FormatV1Header(
                _segmentSize, wrapped.KeyId, wrapped.WrappedKey.ToArray(), salt, noncePrefix, _writeVersion, writeId, _time.GetUtcNow().ToUnixTimeMilliseconds());
            var headerBytes = new byte[header.Length];
            header.WriteFields(headerBytes);
            using var derived = Derive(dek, salt, identity);
            derived.Commitment.CopyTo(headerBytes.AsSpan(header.CommitmentOffset));
            HMACSHA256.HashData(derived.HeaderKey, headerBytes.AsSpan(0, header.Length - FormatV1Header.MacLength), headerBytes.AsSpan(header.Length - FormatV1Header.MacLength));
            var cipher = new SegmentCipher(derived.SegmentKey, noncePrefix);
            return new FormatV1Encoder(plaintext, headerBytes, header, cipher, _time);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    public override async ValueTask<ContentDecoder> CreateDecoderAsync(
        Stream stored, ObjectIdentity identity, StoredVersion version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var prefix = new byte[FormatV1Header.FixedPrefixLength];
        if (await stored.ReadAtLeastAsync(prefix, prefix.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < prefix.Length)
        {
            throw Corrupt("The stored object is truncated: it ends inside its header.");
        }

        var headerBytes = new byte[FormatV1Header.ReadLength(prefix)];
        prefix.CopyTo(headerBytes, 0);
        var rest = headerBytes.AsMemory(prefix.Length);
        if (await stored.ReadAtLeastAsync(rest, rest.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < rest.Length)
        {
            throw Corrupt("The stored object is truncated: it ends inside its header.");
        }

        var (header, cipher, binding) = await OpenAsync(headerBytes, identity, version, cancellationToken).ConfigureAwait(false);
        return new FormatV1Decoder(stored, cipher, header, binding);
    }

    public override ByteRange? EstimateStoredRange(long offset, long length)
    {
        if (offset < 0 || length <= 0 || offset > long.MaxValue / 2 || length > long.MaxValue / 2)
        {
            return null;
        }

        long stride = _segmentSize + TagLength;
        var first = offset / _segmentSize;
        var last = (offset + length - 1) / _segmentSize;
        var start = FormatV1Header.MinHeaderLength + (first * stride);
        var end = FormatV1Header.MaxHeaderLength + ((last + 1) * stride) + MaxTrailerLength; // the last segment may be the final one
        return new ByteRange(start, end - start);
    }

    public override async ValueTask<RangedRead> OpenRangeAsync(
        ReadOnlyMemory<byte> storedPrefix, long storedLength, ObjectIdentity identity, StoredVersion version, long offset, long length, CancellationToken cancellationToken)
    {
        if (storedPrefix.Length < FormatV1Header.FixedPrefixLength)
        {
            throw Corrupt("The stored object is truncated: it ends inside its header.");
        }

        var headerLength = FormatV1Header.ReadLength(storedPrefix.Span);
        if (storedPrefix.Length < headerLength)
        {
            throw Corrupt("The stored object is truncated: it ends inside its header.");
        }

        var headerBytes = storedPrefix[..headerLength].ToArray();
        var (header, cipher, binding) = await OpenAsync(headerBytes, identity, version, cancellationToken).ConfigureAwait(false);
        try
        {
            if (!TryGetLayout(storedLength, headerLength, header.SegmentSize, header.TrailerLength, out var segments, out var plaintextLength))
            {
                throw Corrupt("The stored object's length is not a valid length for its format: it was truncated or extended.");
            }

            var plan = RangePlan.Create(headerLength, header.SegmentSize, segments, plaintextLength, storedLength, offset, length, header.TrailerLength);
            return new RangedRead(plan, cipher, header.KeyId, binding);
        }
        catch
        {
            cipher.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Computes the segment count and plaintext length from the stored length (docs/format.md §6). The stored length comes from
    /// the storage and is not trusted: a wrong value makes the final-flag check of the last segment fail.
    /// </summary>
    public static bool TryGetLayout(long storedLength, int headerLength, int segmentSize, int trailerLength, out long segments, out long plaintextLength)
    {
        segments = 0;
        plaintextLength = 0;
        var overhead = trailerLength + TagLength;
        var body = storedLength - headerLength;
        if (body < overhead)
        {
            return false;
        }

        if (body == overhead)
        {
            segments = 1;
            return true;
        }

        long stride = segmentSize + TagLength;
        var full = (body - overhead - 1) / stride; // non-final segments; the final one holds 1..S content bytes
        var final = body - (full * stride);
        if (final > segmentSize + overhead || full + 1 > uint.MaxValue)
        {
            return false;
        }

        segments = full + 1;
        plaintextLength = (full * segmentSize) + final - overhead;
        return true;
    }

    /// <summary>The identity bound into the key derivation: suite || u16 len || tenant || u16 len || key (UTF-8, big-endian lengths).</summary>
    public static byte[] EncodeContext(ObjectIdentity identity)
    {
        var tenant = Encoding.UTF8.GetBytes(identity.Tenant);
        var key = Encoding.UTF8.GetBytes(identity.Key);
        var context = new byte[1 + 2 + tenant.Length + 2 + key.Length];
        context[0] = Suite;
        BinaryPrimitives.WriteUInt16BigEndian(context.AsSpan(1), checked((ushort)tenant.Length));
        tenant.CopyTo(context, 3);
        BinaryPrimitives.WriteUInt16BigEndian(context.AsSpan(3 + tenant.Length), checked((ushort)key.Length));
        key.CopyTo(context, 5 + tenant.Length);
        return context;
    }

    internal static DerivedKeys Derive(ReadOnlySpan<byte> dataKey, ReadOnlySpan<byte> salt, ObjectIdentity identity)
    {
        var context = EncodeContext(identity);
        Span<byte> prk = stackalloc byte[32];
        var keys = new DerivedKeys();
        try
        {
            HKDF.Extract(HashAlgorithmName.SHA256, dataKey, salt, prk);
            HKDF.Expand(HashAlgorithmName.SHA256, prk, keys.SegmentKey, [.. SegmentKeyLabel, .. context]);
            HKDF.Expand(HashAlgorithmName.SHA256, prk, keys.HeaderKey, [.. HeaderKeyLabel, .. context]);
            HKDF.Expand(HashAlgorithmName.SHA256, prk, keys.Commitment, [.. CommitmentLabel, .. context]);
            return keys;
        }
        catch
        {
            keys.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(prk);
        }
    }

    // Unwraps the data key, derives the object's keys, and checks the commitment and the header MAC before anything else is read.
    // Format 2: then binds the bytes to the version read (WriteBinding).
    private async Task<(FormatV1Header Header, SegmentCipher Cipher, WriteBinding? Binding)> OpenAsync(
        byte[] headerBytes, ObjectIdentity identity, StoredVersion version, CancellationToken cancellationToken)
    {
        var header = FormatV1Header.Parse(headerBytes);
        byte[] dek;
        try
        {
            dek = await _keys.UnwrapDataKeyAsync(header.KeyId, header.WrappedKey, cancellationToken).ConfigureAwait(false);
        }
        catch (CryptographicException ex)
        {
            throw Corrupt("The stored object's data key does not unwrap under its key-encryption key.", ex);
        }

        try
        {
            if (dek.Length != DataKeyLength)
            {
                throw Corrupt("The stored object's data key has the wrong length.");
            }

            using var derived = Derive(dek, header.Salt, identity);
            Span<byte> mac = stackalloc byte[FormatV1Header.MacLength];
            HMACSHA256.HashData(derived.HeaderKey, headerBytes.AsSpan(0, headerBytes.Length - FormatV1Header.MacLength), mac);
            var commitmentOk = CryptographicOperations.FixedTimeEquals(derived.Commitment, headerBytes.AsSpan(header.CommitmentOffset, FormatV1Header.CommitmentLength));
            var macOk = CryptographicOperations.FixedTimeEquals(mac, headerBytes.AsSpan(headerBytes.Length - FormatV1Header.MacLength));
            if (!(commitmentOk & macOk))
            {
                throw Corrupt("The stored object's header failed authentication: it was altered, or it was written for another object key or tenant.");
            }

            var binding = WriteBinding.Check(header, version);
            return (header, new SegmentCipher(derived.SegmentKey, header.NoncePrefix), binding);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(dek);
        }
    }

    internal sealed class DerivedKeys : IDisposable
    {
        public byte[] SegmentKey { get; } = new byte[32];

        public byte[] HeaderKey { get; } = new byte[32];

        public byte[] Commitment { get; } = new byte[FormatV1Header.CommitmentLength];

        public void Dispose()
        {
            CryptographicOperations.ZeroMemory(SegmentKey);
            CryptographicOperations.ZeroMemory(HeaderKey);
        }
    }
}
