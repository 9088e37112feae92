namespace Hds.Storage.Models;

/// <summary>A byte range of an object's content (plaintext): <see cref="Offset"/> and at most <see cref="Length"/> bytes.</summary>
/// <param name="Offset">The first byte, from 0; at most the content length.</param>
/// <param name="Length">How many bytes; to the end of the content when null. Clamped to the content's end.</param>
public readonly record struct HdsContentRange(long Offset, long? Length = null);
