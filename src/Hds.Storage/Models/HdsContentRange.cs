namespace Hds.Storage.Models;

/// <summary>A byte range of an object's content (plaintext): <see cref="Offset"/> and at most <see cref="Length"/> bytes.</summary>
public readonly record struct HdsContentRange
{
    /// <summary>Creates a range of <paramref name="length"/> bytes from <paramref name="offset"/> (to the end when null).</summary>
    /// <param name="offset">The first byte, from 0.</param>
    /// <param name="length">How many bytes; to the end of the content when null.</param>
    public HdsContentRange(long offset, long? length = null)
    {
        Offset = offset;
        Length = length;
    }

    /// <summary>The first byte, from 0; at most the content length.</summary>
    public long Offset { get; init; }

    /// <summary>How many bytes; to the end of the content when null. Clamped to the content's end.</summary>
    public long? Length { get; init; }
}
