using System.Buffers;
using System.Security.Cryptography;
using Hds.Storage.Backends;

namespace Hds.Storage.Encryption;

/// <summary>
/// A ranged read whose header was verified: the stored range to fetch, and the decoder for it. Owns the segment cipher until
/// <see cref="CreateDecoder"/> hands it over. The layout (segment count, content length) comes from the stored length the
/// storage reports, which is not trusted: unless the range reads the final segment itself, that segment is authenticated first
/// (<see cref="PendingFinalSegment"/>, <see cref="VerifyFinalSegment"/>), so a truncated or extended object fails whatever the
/// range — empty, past the end, or far from the end — and, in format 2, a replayed version fails before any byte is returned
/// (docs/format.md §6).
/// </summary>
internal sealed class RangedRead : IDisposable
{
    private SegmentCipher? _cipher;

    private readonly WriteBinding? _binding;

    public RangedRead(RangePlan plan, SegmentCipher cipher, string keyId, WriteBinding? binding)
    {
        Plan = plan;
        _cipher = cipher;
        KeyId = keyId;
        _binding = binding;
    }

    public RangePlan Plan { get; }

    /// <summary>Whether the final segment was authenticated against the layout (so the stored length is proven).</summary>
    public bool FinalSegmentVerified { get; private set; }

    /// <summary>The stored bytes of the final segment to authenticate before <see cref="CreateDecoder"/>; null when not needed.</summary>
    public ByteRange? PendingFinalSegment => FinalSegmentVerified || Plan.ReadsOnlyFinalSegment ? null : Plan.FinalSegmentRange;

    /// <summary>Authenticates the final segment (<paramref name="stored"/>: its stored bytes); then refuses a range past the end.</summary>
    /// <exception cref="HdsIntegrityException">The final segment does not verify: the object was truncated, extended or altered.</exception>
    /// <exception cref="HdsInvalidRequestException">The object is intact and the range starts beyond its end.</exception>
    public void VerifyFinalSegment(ReadOnlySpan<byte> stored)
    {
        var cipher = _cipher ?? throw new InvalidOperationException("The decoder was already created.");
        var output = ArrayPool<byte>.Shared.Rent(Plan.SegmentSize + Plan.TrailerLength);
        try
        {
            if (FormatV1RangeDecoder.OpenFinal(cipher, Plan, _binding, stored, output) is { } problem)
            {
                throw FormatV1.Corrupt(problem);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(output);
            ArrayPool<byte>.Shared.Return(output);
        }

        FinalSegmentVerified = true;
        ThrowIfBeyondEnd();
    }

    /// <summary>For a header whose final segment was verified at this same stored length before (the client's header cache).</summary>
    public void FinalSegmentVerifiedEarlier()
    {
        FinalSegmentVerified = true;
        ThrowIfBeyondEnd();
    }

    public string KeyId { get; }

    /// <summary>The stored bytes to fetch; <see langword="null"/> when the range is empty.</summary>
    public ByteRange? StoredRange => Plan.StoredRange;

    /// <summary>The content length of the whole object as derived from the stored length (authenticated once the last segment is read).</summary>
    public long PlaintextLength => Plan.PlaintextLength;

    public ContentDecoder CreateDecoder(Stream stored)
    {
        if (PendingFinalSegment is not null)
        {
            throw new InvalidOperationException("The final segment must be verified first (VerifyFinalSegment).");
        }

        ThrowIfBeyondEnd();
        var cipher = _cipher ?? throw new InvalidOperationException("The decoder was already created.");
        _cipher = null;
        return new FormatV1RangeDecoder(stored, cipher, Plan, _binding);
    }

    public void Dispose() => _cipher?.Dispose();

    private void ThrowIfBeyondEnd()
    {
        if (Plan.BeyondEnd)
        {
            throw new HdsInvalidRequestException($"The range starts beyond the end of the content ({Plan.PlaintextLength} bytes).");
        }
    }
}
