using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Hds.Storage.Encryption;

/// <summary>
/// Decrypts a whole format 1 object, one segment at a time: a segment's plaintext is released only after its tag verified, and
/// the final segment's only after the sealed length and SHA-256 matched. Buffers one stored segment plus a look-ahead (the
/// final segment is the one that ends the stream).
/// </summary>
internal sealed class FormatV1Decoder : ContentDecoder
{
    private readonly Stream _stored;
    private readonly SegmentCipher _cipher;
    private readonly int _segmentSize;
    private readonly string _keyId;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private byte[]? _in;
    private byte[]? _out;
    private int _inCount;
    private int _outOffset;
    private int _outCount;
    private bool _eof;
    private bool _failed;
    private uint _index;
    private long _length;
    private long _storedLength;
    private ContentSeal? _seal;

    public FormatV1Decoder(Stream stored, SegmentCipher cipher, int segmentSize, int headerLength, string keyId)
    {
        _stored = stored;
        _cipher = cipher;
        _segmentSize = segmentSize;
        _keyId = keyId;
        _storedLength = headerLength;
    }

    public override ContentSeal? Seal => _seal;

    public override int Read(Span<byte> buffer) => throw new NotSupportedException("Use ReadAsync.");

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0)
        {
            return 0;
        }

        while (true)
        {
            if (_failed)
            {
                throw FormatV1.Corrupt("The stored object already failed verification.");
            }

            if (_outCount > 0)
            {
                var take = Math.Min(buffer.Length, _outCount);
                _out.AsSpan(_outOffset, take).CopyTo(buffer.Span);
                _outOffset += take;
                _outCount -= take;
                return take;
            }

            if (_seal is not null)
            {
                return 0;
            }

            await NextSegmentAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            SegmentBuffers.Release(ref _in, ref _out);

            _cipher.Dispose();
            _sha.Dispose();
            _stored.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask NextSegmentAsync(CancellationToken cancellationToken)
    {
        var s = _segmentSize;
        var capacity = s + FormatV1.FinalOverhead + 1; // more than the largest final segment: having it all proves "not final"
        var input = _in ??= ArrayPool<byte>.Shared.Rent(capacity);
        var output = _out ??= ArrayPool<byte>.Shared.Rent(s + FormatV1.TrailerLength);
        if (!_eof && _inCount < capacity)
        {
            _inCount += await _stored.ReadAtLeastAsync(input.AsMemory(_inCount, capacity - _inCount), capacity - _inCount, throwOnEndOfStream: false, cancellationToken)
                .ConfigureAwait(false);
            _eof = _inCount < capacity;
        }

        var final = _inCount < capacity;
        var segmentLength = final ? _inCount : s + FormatV1.TagLength;
        if (final && (segmentLength < FormatV1.FinalOverhead || (_index > 0 && segmentLength == FormatV1.FinalOverhead)))
        {
            throw Fail("The stored object is truncated: its final segment is missing.");
        }

        if (!_cipher.TryDecrypt(_index, final, input.AsSpan(0, segmentLength), output))
        {
            throw Fail(final
                ? "The stored object's last segment failed authentication: the object was truncated, extended or altered."
                : "A segment of the stored object failed authentication: the object was altered, reordered or spliced.");
        }

        _storedLength += segmentLength;
        if (!final)
        {
            if (_index == uint.MaxValue)
            {
                throw Fail("The stored object has more segments than format 1 allows.");
            }

            _sha.AppendData(output, 0, s);
            _length += s;
            _index++;
            input.AsSpan(segmentLength, _inCount - segmentLength).CopyTo(input);
            _inCount -= segmentLength;
            _outOffset = 0;
            _outCount = s;
            return;
        }

        var content = segmentLength - FormatV1.FinalOverhead;
        _sha.AppendData(output, 0, content);
        var total = _length + content;
        var digest = _sha.GetHashAndReset();
        var lengthOk = BinaryPrimitives.ReadInt64BigEndian(output.AsSpan(content)) == total;
        var digestOk = CryptographicOperations.FixedTimeEquals(digest, output.AsSpan(content + 8, 32));
        if (!(lengthOk & digestOk))
        {
            throw Fail("The stored object's sealed length or SHA-256 does not match its content.");
        }

        _length = total;
        _inCount = 0;
        _outOffset = 0;
        _outCount = content;
        _seal = new ContentSeal(total, digest, _storedLength, _keyId, FormatV1.Version);
    }

    private HdsIntegrityException Fail(string message)
    {
        _failed = true;
        _outCount = 0;
        if (_out is { } output)
        {
            CryptographicOperations.ZeroMemory(output);
        }

        return FormatV1.Corrupt(message);
    }
}
