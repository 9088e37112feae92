namespace Hds.Storage;

/// <summary>
/// The one factory of integrity failures (as DataProtection's <c>Error</c> class): every damaged, truncated, altered or replayed
/// stored object, wherever it is found (decoder, key ring, S3 transfer), becomes the same exception type with the same advice.
/// Messages name what failed, never key material or content.
/// </summary>
internal static class IntegrityErrors
{
    /// <summary>A stored object that failed verification: nothing unverified was returned.</summary>
    public static HdsIntegrityException Corrupt(string detail, Exception? inner = null) =>
        new(detail + " No unverified content was returned; the stored version must be treated as damaged (restore it from another site or version).", inner);
}
