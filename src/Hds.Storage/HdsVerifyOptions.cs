using Hds.Storage.Models;

namespace Hds.Storage;

/// <summary>Options of <see cref="HdsStorageClient.VerifyAsync"/>.</summary>
public sealed class HdsVerifyOptions : HdsVersionOptions
{
    /// <summary>
    /// A receipt the stored version must match (length, SHA-256, version, retention); when <see cref="HdsVersionOptions.VersionId"/>
    /// is null, the receipt's version is verified.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public HdsStorageReceipt? Receipt { get; set; }
}
