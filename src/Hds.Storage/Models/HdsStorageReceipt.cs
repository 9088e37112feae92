using Hds.Storage.Pipeline;
using Hds.Storage.Retention;

namespace Hds.Storage.Models;

/// <summary>
/// Proof of one successful write, for the application to keep: reading <see cref="Key"/> at <see cref="VersionId"/> returns exactly
/// the content whose length and SHA-256 are given here, and the version was verified to be locked until <see cref="RetainUntil"/>.
/// </summary>
public sealed record HdsStorageReceipt : IOperationResult
{
    /// <summary>The object key.</summary>
    public required string Key { get; init; }

    /// <summary>The version written; always set: a receipt never names "the latest version".</summary>
    public required string VersionId { get; init; }

    /// <summary>Length of the content (plaintext) in bytes.</summary>
    public required long Size { get; init; }

    /// <summary>Length of the stored (encoded) object in bytes.</summary>
    public required long StoredSize { get; init; }

    /// <summary>SHA-256 of the content, lowercase hexadecimal.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Identifier of the key that protects the content, when the content is encrypted.</summary>
    public string? KeyId { get; init; }

    /// <summary>Version of the stored object format (docs/format.md).</summary>
    public required int FormatVersion { get; init; }

    /// <summary>
    /// Format 2: the write's id (lowercase hexadecimal), sealed in the stored header and kept in the version's metadata; verifying
    /// with this receipt checks it. Null for format 1.
    /// </summary>
    public string? WriteId { get; init; }

    /// <summary>The retention class the retention was computed from.</summary>
    public required string RetentionClass { get; init; }

    /// <summary>The retention mode verified on the stored version.</summary>
    public required HdsRetentionMode RetentionMode { get; init; }

    /// <summary>The retain-until date verified on the stored version.</summary>
    public required DateTimeOffset RetainUntil { get; init; }

    /// <summary>Whether a legal hold is on.</summary>
    public required bool LegalHold { get; init; }

    /// <summary>When the write completed (client clock).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The pseudonymous id of the writer, when known.</summary>
    public string? Writer { get; init; }

    /// <summary>
    /// The sites that were seen holding the version, locked, before the write returned: the site that stored it first, then those
    /// that confirmed it for <see cref="HdsPutOptions.AcknowledgementSites"/>. Replication may copy it to others later.
    /// </summary>
    public IReadOnlyList<string> ConfirmedSites { get; init; } = [];

    // The pipeline's facts: the plaintext written.
    long? IOperationResult.Size => Size;

    long? IOperationResult.BytesWritten => Size;
}
