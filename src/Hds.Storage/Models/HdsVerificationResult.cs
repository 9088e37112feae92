using System.Diagnostics.CodeAnalysis;
using Hds.Storage.Pipeline;

namespace Hds.Storage.Models;

/// <summary>The outcome of a successful verification: the version was read in full and every check passed.</summary>
public sealed record HdsVerificationResult : IOperationResult
{
    /// <summary>Creates an empty HdsVerificationResult, to fill with an object initializer.</summary>
    public HdsVerificationResult()
    {
    }

    // The library's own construction; not public, so a property added later breaks no caller.
    [SetsRequiredMembers]
    internal HdsVerificationResult(string key, string versionId, long size, string sha256, HdsObjectProperties properties)
    {
        Key = key;
        VersionId = versionId;
        Size = size;
        Sha256 = sha256;
        Properties = properties;
    }

    /// <summary>The object key.</summary>
    public required string Key { get; init; }

    /// <summary>The version verified.</summary>
    public required string VersionId { get; init; }

    /// <summary>Length of the content.</summary>
    public required long Size { get; init; }

    /// <summary>SHA-256 of the content, lowercase hexadecimal.</summary>
    public required string Sha256 { get; init; }

    /// <summary>The version's properties, retention included.</summary>
    public required HdsObjectProperties Properties { get; init; }

    /// <summary>
    /// Other physical versions of the same write (same attempt id, same bytes): a write stored twice on two sites during a partition.
    /// One logical write; version lists show only the version verified here. Empty when the write was stored once.
    /// </summary>
    public IReadOnlyList<string> DuplicateVersionIds { get; init; } = [];

    // The pipeline's facts: the plaintext read and verified before the operation returned.
    long? IOperationResult.Size => Size;

    long? IOperationResult.BytesRead => Size;
}
