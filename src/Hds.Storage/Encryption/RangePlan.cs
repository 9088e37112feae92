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
    bool BeyondEnd = false,
    int TrailerLength = FormatV1.TrailerLength)
{
    public static RangePlan Create(
        int headerLength, int segmentSize, long segments, long plaintextLength, long storedLength, long offset, long length, int trailerLength)
    {
        if (offset < 0 || length < 0)
        {
            throw new HdsInvalidRequestException("The range offset and length must not be negative.");
        }

        // Beyond the end: refused only once the final segment proved the length (RangedRead), otherwise a truncated object
        // would pass for a short one.
        if (offset > plaintextLength)
        {
            return new RangePlan(headerLength, segmentSize, segments, plaintextLength, storedLength, offset, 0, 0, -1, null, BeyondEnd: true, trailerLength);
        }

        length = Math.Min(length, plaintextLength - offset);
        if (length == 0)
        {
            return new RangePlan(headerLength, segmentSize, segments, plaintextLength, storedLength, offset, 0, 0, -1, null, BeyondEnd: false, trailerLength);
        }

        long stride = segmentSize + FormatV1.TagLength;
        var first = offset / segmentSize;
        var last = Math.Min((offset + length - 1) / segmentSize, segments - 1);
        var start = headerLength + (first * stride);
        var end = last == segments - 1 ? storedLength : headerLength + ((last + 1) * stride);
        return new RangePlan(headerLength, segmentSize, segments, plaintextLength, storedLength, offset, length, first, last, new ByteRange(start, end - start), BeyondEnd: false, trailerLength);
    }

    /// <summary>Stored overhead of the final segment besides its content: the trailer and the tag.</summary>
    public int FinalOverhead => TrailerLength + FormatV1.TagLength;

    /// <summary>
    /// Whether the only segment this plan reads is the final one (whose tag, sealed length and, in format 2, seal time are then
    /// checked before any byte is released); otherwise the final segment is checked first (<see cref="RangedRead"/>).
    /// </summary>
    public bool ReadsOnlyFinalSegment => FirstSegment == Segments - 1 && LastSegment == Segments - 1;

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
