namespace Hds.Storage.Models;

/// <summary>The outcome of a successful verification: the version was read in full and every check passed.</summary>
/// <param name="Key">The object key.</param>
/// <param name="VersionId">The version verified.</param>
/// <param name="Size">Length of the content.</param>
/// <param name="Sha256">SHA-256 of the content, lowercase hexadecimal.</param>
/// <param name="Properties">The version's properties, retention included.</param>
public sealed record HdsVerificationResult(string Key, string VersionId, long Size, string Sha256, HdsObjectProperties Properties)
{
    /// <summary>
    /// Other physical versions of the same write (same attempt id, same bytes): a write stored twice on two sites during a partition.
    /// One logical write; version lists show only the version verified here. Empty when the write was stored once.
    /// </summary>
    public IReadOnlyList<string> DuplicateVersionIds { get; init; } = [];
}
