using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Hds.Storage.Encryption;

/// <summary>
/// Decrypts the segments of a ranged read and returns the requested bytes of them. Each segment is verified at its own index and
/// finality before any of its bytes is released; when the range reaches the end, the final flag and the sealed length are checked
/// too (the SHA-256 of the whole content can only be checked by a full read).
/// </summary>
internal sealed class FormatV1RangeDecoder : ContentDecoder
{
    private readonly Stream _stored;
    private readonly SegmentCipher _cipher;
    private readonly RangePlan _plan;
    private byte[]? _in;
    private byte[]? _out;
    private long _next;
    private int _outOffset;
    private int _outCount;
    private bool _failed;

    public FormatV1RangeDecoder(Stream stored, SegmentCipher cipher, RangePlan plan)
    {
        _stored = stored;
        _cipher = cipher;
        _plan = plan;
        _next = plan.FirstSegment;
    }

    // A ranged read verifies segments, not the whole content: there is no seal to report.
    public override ContentSeal? Seal => null;

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

            if (_next > _plan.LastSegment)
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
            _stored.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask NextSegmentAsync(CancellationToken cancellationToken)
    {
        var s = _plan.SegmentSize;
        var index = _next;
        var final = index == _plan.Segments - 1;
        var length = _plan.StoredSegmentLength(index);
        var input = _in ??= ArrayPool<byte>.Shared.Rent(s + FormatV1.FinalOverhead);
        var output = _out ??= ArrayPool<byte>.Shared.Rent(s + FormatV1.TrailerLength);
        if (await _stored.ReadAtLeastAsync(input.AsMemory(0, length), length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < length)
        {
            throw Fail("The stored object is truncated: a segment of the range is missing.");
        }

        if (!_cipher.TryDecrypt((uint)index, final, input.AsSpan(0, length), output))
        {
            throw Fail(final
                ? "The stored object's last segment failed authentication: the object was truncated, extended or altered."
                : "A segment of the stored object failed authentication: the object was altered, reordered, truncated or spliced.");
        }

        var content = length - FormatV1.TagLength;
        if (final)
        {
            content -= FormatV1.TrailerLength;
            if (BinaryPrimitives.ReadInt64BigEndian(output.AsSpan(content)) != _plan.PlaintextLength)
            {
                throw Fail("The stored object's sealed length does not match its stored length.");
            }
        }

        var segmentStart = index * s;
        var from = Math.Max(_plan.Offset, segmentStart) - segmentStart;
        var to = Math.Min(_plan.Offset + _plan.Length, segmentStart + content) - segmentStart;
        _outOffset = (int)from;
        _outCount = (int)Math.Max(0, to - from);
        _next++;
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
