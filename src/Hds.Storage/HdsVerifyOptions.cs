using Hds.Storage.Models;

namespace Hds.Storage;

/// <summary>Options of <see cref="HdsStorageClient.VerifyAsync"/>.</summary>
public sealed class HdsVerifyOptions : HdsRequestOptions
{
    /// <summary>The version to verify; the latest when null (or the receipt's version when a receipt is given).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? VersionId { get; set; }

    /// <summary>A receipt the stored version must match (length, SHA-256, version, retention).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public HdsStorageReceipt? Receipt { get; set; }
}
