namespace Hds.Storage;

/// <summary>Options of <see cref="HdsStorageClient.PutAsync"/>.</summary>
public sealed class HdsPutOptions : HdsRequestOptions
{
    /// <summary>The retention class; its mode and duration are applied and verified on the stored version.</summary>
    /// <value>The default value is <see langword="null"/>: <see cref="HdsStorageOptions.DefaultRetentionClass"/>.</value>
    public string? RetentionClass { get; set; }

    /// <summary>The MIME type of the content (stored in clear: never put health data in it).</summary>
    /// <value>The default value is "application/octet-stream".</value>
    public string ContentType { get; set; } = "application/octet-stream";

    /// <summary>
    /// How many sites must hold the new version, locked, before the write returns: see
    /// <see cref="HdsS3StorageOptions.AcknowledgementSites"/>. The embedded store has one site.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the client's <see cref="HdsS3StorageOptions.AcknowledgementSites"/> (1).</value>
    public int? AcknowledgementSites { get; set; }
}
