using Hds.Storage.Backends;

namespace Hds.Storage.Encryption;

/// <summary>
/// The arithmetic of a ranged read (docs/format.md §6): which segments hold plaintext bytes [offset, offset + length) and which
/// stored bytes hold those segments. Segment i starts at header + i × (S + 16); the last one ends the object.
/// </summary>
internal sealed record RangePlan(
    int HeaderLength,
    int SegmentSize,
    long Segments,
    long PlaintextLength,
    long StoredLength,
    long Offset,
    long Length,
    long FirstSegment,
    long LastSegment,
    ByteRange? StoredRange,
    bool BeyondEnd = false)
{
    public static RangePlan Create(int headerLength, int segmentSize, long segments, long plaintextLength, long storedLength, long offset, long length)
    {
        if (offset < 0 || length < 0)
        {
            throw new HdsInvalidRequestException("The range offset and length must not be negative.");
        }

        // Beyond the end: refused only once the final segment proved the length (RangedRead), otherwise a truncated object
        // would pass for a short one.
        if (offset > plaintextLength)
        {
            return new RangePlan(headerLength, segmentSize, segments, plaintextLength, storedLength, offset, 0, 0, -1, null, BeyondEnd: true);
        }

        length = Math.Min(length, plaintextLength - offset);
        if (length == 0)
        {
            return new RangePlan(headerLength, segmentSize, segments, plaintextLength, storedLength, offset, 0, 0, -1, null);
        }

        long stride = segmentSize + FormatV1.TagLength;
        var first = offset / segmentSize;
        var last = Math.Min((offset + length - 1) / segmentSize, segments - 1);
        var start = headerLength + (first * stride);
        var end = last == segments - 1 ? storedLength : headerLength + ((last + 1) * stride);
        return new RangePlan(headerLength, segmentSize, segments, plaintextLength, storedLength, offset, length, first, last, new ByteRange(start, end - start));
    }

    /// <summary>Whether the segments this plan reads include the final one (whose tag and sealed length prove the layout).</summary>
    public bool ReadsFinalSegment => LastSegment == Segments - 1;

    /// <summary>The stored bytes of the final segment.</summary>
    public ByteRange FinalSegmentRange
    {
        get
        {
            var start = HeaderLength + ((Segments - 1) * (SegmentSize + (long)FormatV1.TagLength));
            return new ByteRange(start, StoredLength - start);
        }
    }

    /// <summary>Stored length of segment <paramref name="index"/>.</summary>
    public int StoredSegmentLength(long index) =>
        index == Segments - 1
            ? checked((int)(StoredLength - HeaderLength - (index * (SegmentSize + (long)FormatV1.TagLength))))
            : SegmentSize + FormatV1.TagLength;
}
