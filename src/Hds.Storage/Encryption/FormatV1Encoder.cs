using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using Hds.Storage.Objects;

namespace Hds.Storage.Encryption;

/// <summary>
/// Pulls plaintext one segment at a time, hashes it and encrypts it, in one pass and bounded memory (about two segments).
/// When the reader's buffer can hold a whole stored segment, the segment is encrypted straight into it (no extra copy).
/// </summary>
internal sealed class FormatV1Encoder : ContentEncoder
{
    private readonly Stream _plaintext;
    private readonly byte[] _header;
    private readonly SegmentCipher _cipher;
    private readonly int _segmentSize;
    private readonly string _keyId;
    private readonly FormatV1Header _fields;
    private readonly TimeProvider _time;
    private readonly int _trailerLength;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _plain;   // S content bytes + 1 look-ahead byte + room for the trailer
    private byte[]? _stored;  // one stored segment, when the reader's buffer is too small for it
    private int _headerSent;
    private int _pendingOffset;
    private int _pendingCount;
    private int _carry;
    private uint _index;
    private long _length;
    private long _storedLength;
    private bool _finished;
    private ContentSeal? _seal;

    public FormatV1Encoder(Stream plaintext, byte[] header, FormatV1Header fields, SegmentCipher cipher, TimeProvider time)
    {
        _plaintext = plaintext;
        _header = header;
        _fields = fields;
        _cipher = cipher;
        _time = time;
        _segmentSize = fields.SegmentSize;
        _keyId = fields.KeyId;
        _trailerLength = fields.TrailerLength;
        _storedLength = header.Length;
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MetadataNames.Format] = fields.Version.ToString(CultureInfo.InvariantCulture),
            [MetadataNames.KeyId] = fields.KeyId,
        };
        if (fields.Version == FormatV1.Version2)
        {
            metadata[MetadataNames.WriteId] = Convert.ToHexStringLower(fields.WriteId);
        }

        Metadata = metadata;
    }

    public override IReadOnlyDictionary<string, string> Metadata { get; }

    public override ContentSeal? Seal => _seal;

    public override int Read(Span<byte> buffer) => throw new NotSupportedException("Use ReadAsync.");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        if (_headerSent < _header.Length)
        {
            var take = Math.Min(buffer.Length, _header.Length - _headerSent);
            _header.AsSpan(_headerSent, take).CopyTo(buffer.Span);
            _headerSent += take;
            return take;
        }

        if (_pendingCount > 0)
        {
            return CopyPending(buffer.Span);
        }

        if (_finished)
        {
            return 0;
        }

        var s = _segmentSize;
        var plain = _plain ??= ArrayPool<byte>.Shared.Rent(s + 1 + _trailerLength);
        var want = s + 1 - _carry;
        var got = _carry + await _plaintext.ReadAtLeastAsync(plain.AsMemory(_carry, want), want, throwOnEndOfStream: false, cancellationToken)
            .ConfigureAwait(false);

        // A segment is final when no byte follows it: the look-ahead byte tells without a second read.
        var final = got <= s;
        var content = final ? got : s;
        _sha.AppendData(plain, 0, content);
        _length += content;
        var plainLength = content;
        if (final)
        {
            var digest = _sha.GetHashAndReset();
            BinaryPrimitives.WriteInt64BigEndian(plain.AsSpan(content), _length);
            digest.CopyTo(plain, content + 8);
            (DateTimeOffset, DateTimeOffset)? window = null;
            if (_fields.Version == FormatV1.Version2)
            {
                // When the writer sealed the write: a version the storage dates well after it is a replay (WriteBinding).
                var sealedAt = _time.GetUtcNow().ToUnixTimeMilliseconds();
                BinaryPrimitives.WriteInt64BigEndian(plain.AsSpan(content + FormatV1.TrailerLength), sealedAt);
                window = (DateTimeOffset.FromUnixTimeMilliseconds(_fields.WrittenAtMs), DateTimeOffset.FromUnixTimeMilliseconds(sealedAt));
            }

            plainLength += _trailerLength;
            _finished = true;
            _storedLength += plainLength + FormatV1.TagLength;
            _seal = new ContentSeal(_length, digest, _storedLength, _keyId, _fields.Version, _fields.Version == FormatV1.Version2 ? Convert.ToHexStringLower(_fields.WriteId) : null, window);
        }
        else
        {
            if (_index == uint.MaxValue)
            {
                throw new HdsInvalidRequestException("The content is too large for format 1 (more than 2^32 segments); raise the segment size.");
            }

            _storedLength += plainLength + FormatV1.TagLength;
        }

        var storedLength = plainLength + FormatV1.TagLength;
        int result;
        if (buffer.Length >= storedLength)
        {
            _cipher.Encrypt(_index, final, plain.AsSpan(0, plainLength), buffer.Span);
            result = storedLength;
        }
        else
        {
            var stored = _stored ??= ArrayPool<byte>.Shared.Rent(s + _trailerLength + FormatV1.TagLength);
            _cipher.Encrypt(_index, final, plain.AsSpan(0, plainLength), stored);
            _pendingOffset = 0;
            _pendingCount = storedLength;
            result = CopyPending(buffer.Span);
        }

        if (final)
        {
            CryptographicOperations.ZeroMemory(plain.AsSpan(0, plainLength));
        }
        else
        {
            plain[0] = plain[s];
            _carry = 1;
            _index++;
        }

        return result;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            if (_plain is { } plain)
            {
                CryptographicOperations.ZeroMemory(plain);
                ArrayPool<byte>.Shared.Return(plain);
                _plain = null;
            }

            if (_stored is { } stored)
            {
                ArrayPool<byte>.Shared.Return(stored);
                _stored = null;
            }

            _cipher.Dispose();
            _sha.Dispose();
        }

        base.Dispose(disposing);
    }

    private int CopyPending(Span<byte> destination)
    {
        var take = Math.Min(destination.Length, _pendingCount);
        _stored.AsSpan(_pendingOffset, take).CopyTo(destination);
        _pendingOffset += take;
        _pendingCount -= take;
        return take;
    }
}
