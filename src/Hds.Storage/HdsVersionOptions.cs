namespace Hds.Storage;

/// <summary>
/// Options of the verbs that act on one version of an object (<see cref="HdsStorageClient.GetPropertiesAsync"/>,
/// <see cref="HdsStorageClient.SetLegalHoldAsync"/>, <see cref="HdsStorageClient.ExtendRetentionAsync"/>, and through
/// <see cref="HdsGetOptions"/> and <see cref="HdsVerifyOptions"/> the reads): the version is always named here, never as an argument.
/// </summary>
public class HdsVersionOptions : HdsRequestOptions
{
    /// <summary>The version acted on; the latest when null. A receipt's version id names exactly the receipt's bytes.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? VersionId { get; set; }
}
