using System.Buffers.Binary;
using System.Security.Cryptography;
using Hds.Storage.IO;

namespace Hds.Storage.Encryption;

/// <summary>
/// Decrypts a whole format 1 object, one segment at a time: a segment's plaintext is released only after its tag verified, and
/// the final segment's only after the sealed length and SHA-256 matched. Buffers one stored segment plus a look-ahead (the
/// final segment is the one that ends the stream).
/// </summary>
internal sealed class FormatV1Decoder(Stream stored, SegmentCipher cipher, FormatV1Header header, WriteBinding? binding)
    : SegmentDecoder(stored, cipher)
{
    private readonly int _overhead = header.TrailerLength + FormatV1.TagLength;
    private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private int _inCount;
    private bool _eof;
    private uint _index;
    private long _length;
    private long _storedLength = header.Length;
    private ContentSeal? _seal;

    public override ContentSeal? Seal => _seal;

    protected override bool Ended => _seal is not null;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _sha.Dispose();
        }

        base.Dispose(disposing);
    }

    protected override async ValueTask NextSegmentAsync(CancellationToken cancellationToken)
    {
        var s = header.SegmentSize;
        var capacity = s + _overhead + 1; // more than the largest final segment: having it all proves "not final"
        var input = InputBuffer(capacity);
        var output = OutputBuffer(s + header.TrailerLength);
        if (!_eof && _inCount < capacity)
        {
            _inCount += await Stored.ReadAtLeastAsync(input.AsMemory(_inCount, capacity - _inCount), capacity - _inCount, throwOnEndOfStream: false, cancellationToken)
                .ConfigureAwait(false);
            _eof = _inCount < capacity;
        }

        var final = _inCount < capacity;
        var segmentLength = final ? _inCount : s + FormatV1.TagLength;
        if (final && (segmentLength < _overhead || (_index > 0 && segmentLength == _overhead)))
        {
            throw Fail("The stored object is truncated: its final segment is missing.");
        }

        if (!Cipher.TryDecrypt(_index, final, input.AsSpan(0, segmentLength), output))
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
            Release(0, s);
            return;
        }

        var content = segmentLength - _overhead;
        _sha.AppendData(output, 0, content);
        var total = _length + content;
        var digest = _sha.GetHashAndReset();
        var lengthOk = BinaryPrimitives.ReadInt64BigEndian(output.AsSpan(content)) == total;
        var digestOk = CryptographicOperations.FixedTimeEquals(digest, output.AsSpan(content + 8, 32));
        if (!(lengthOk & digestOk))
        {
            throw Fail("The stored object's sealed length or SHA-256 does not match its content.");
        }

        if (binding?.CheckSealedAt(BinaryPrimitives.ReadInt64BigEndian(output.AsSpan(content + FormatV1.TrailerLength))) is { } replayed)
        {
            throw Fail(replayed);
        }

        _length = total;
        _inCount = 0;
        Release(0, content);
        _seal = new ContentSeal(total, digest, _storedLength, header.KeyId, header.Version, binding is null ? null : Convert.ToHexStringLower(binding.WriteId));
    }
}
