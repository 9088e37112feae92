using System.Buffers.Binary;
using Hds.Storage.IO;

namespace Hds.Storage.Encryption;

/// <summary>
/// Decrypts the segments of a ranged read and returns the requested bytes of them. Each segment is verified at its own index and
/// finality before any of its bytes is released; when the range reaches the end, the final flag and the sealed length are checked
/// too (the SHA-256 of the whole content can only be checked by a full read).
/// </summary>
internal sealed class FormatV1RangeDecoder(Stream stored, SegmentCipher cipher, RangePlan plan, WriteBinding? binding) : SegmentDecoder(stored, cipher)
{
    private readonly RangePlan _plan = plan;
    private long _next = plan.FirstSegment;

    // A ranged read verifies segments, not the whole content: there is no seal to report.
    public override ContentSeal? Seal => null;

    protected override bool Ended => _next > _plan.LastSegment;

    protected override async ValueTask NextSegmentAsync(CancellationToken cancellationToken)
    {
        var s = _plan.SegmentSize;
        var index = _next;
        var final = index == _plan.Segments - 1;
        var length = _plan.StoredSegmentLength(index);
        var input = InputBuffer(s + _plan.FinalOverhead);
        var output = OutputBuffer(s + _plan.TrailerLength);
        if (await Stored.ReadAtLeastAsync(input.AsMemory(0, length), length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false) < length)
        {
            throw Fail("The stored object is truncated: a segment of the range is missing.");
        }

        int content;
        if (final)
        {
            if (OpenFinal(Cipher, _plan, binding, input.AsSpan(0, length), output) is { } problem)
            {
                throw Fail(problem);
            }

            content = length - _plan.FinalOverhead;
        }
        else if (!Cipher.TryDecrypt((uint)index, final: false, input.AsSpan(0, length), output))
        {
            throw Fail("A segment of the stored object failed authentication: the object was altered, reordered, truncated or spliced.");
        }
        else
        {
            content = length - FormatV1.TagLength;
        }

        var segmentStart = index * s;
        var from = Math.Max(_plan.Offset, segmentStart) - segmentStart;
        var to = Math.Min(_plan.Offset + _plan.Length, segmentStart + content) - segmentStart;
        _next++;
        Release((int)from, (int)Math.Max(0, to - from));
    }

    /// <summary>
    /// Decrypts the final segment at its index with the final flag and checks the sealed length against the layout derived from
    /// the stored length: together they prove the stored length (no truncation, no extension). In format 2, also checks the seal
    /// time against the version's date (<see cref="WriteBinding"/>). Returns the problem, or null.
    /// </summary>
    internal static string? OpenFinal(SegmentCipher cipher, RangePlan plan, WriteBinding? binding, ReadOnlySpan<byte> stored, Span<byte> output)
    {
        var expected = plan.FinalSegmentRange.Length;
        if (stored.Length != expected || expected < plan.FinalOverhead)
        {
            return "The stored object is truncated: its final segment is missing.";
        }

        if (!cipher.TryDecrypt((uint)(plan.Segments - 1), final: true, stored, output))
        {
            return "The stored object's last segment failed authentication: the object was truncated, extended or altered.";
        }

        var content = stored.Length - plan.FinalOverhead;
        if (BinaryPrimitives.ReadInt64BigEndian(output[content..]) != plan.PlaintextLength)
        {
            return "The stored object's sealed length does not match its stored length.";
        }

        return binding?.CheckSealedAt(BinaryPrimitives.ReadInt64BigEndian(output[(content + FormatV1.TrailerLength)..]));
    }
}
