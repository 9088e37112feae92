using Hds.Storage.Backends;

namespace Hds.Storage.Encryption;

/// <summary>
/// A ranged read whose header was verified: the stored range to fetch, and the decoder for it. Owns the segment cipher until
/// <see cref="CreateDecoder"/> hands it over.
/// </summary>
internal sealed class RangedRead : IDisposable
{
    private SegmentCipher? _cipher;

    public RangedRead(RangePlan plan, SegmentCipher cipher, string keyId)
    {
        Plan = plan;
        _cipher = cipher;
        KeyId = keyId;
    }

    public RangePlan Plan { get; }

    public string KeyId { get; }

    /// <summary>The stored bytes to fetch; <see langword="null"/> when the range is empty.</summary>
    public ByteRange? StoredRange => Plan.StoredRange;

    /// <summary>The content length of the whole object as derived from the stored length (authenticated once the last segment is read).</summary>
    public long PlaintextLength => Plan.PlaintextLength;

    public ContentDecoder CreateDecoder(Stream stored)
    {
        var cipher = _cipher ?? throw new InvalidOperationException("The decoder was already created.");
        _cipher = null;
        return new FormatV1RangeDecoder(stored, cipher, Plan);
    }

    public void Dispose() => _cipher?.Dispose();
}
