namespace Hds.Storage;

/// <summary>Options of <see cref="HdsStorageClient.GetAsync"/>.</summary>
public sealed class GetOptions : HdsRequestOptions
{
    /// <summary>The version to read; the latest when null. Reading by the receipt's version id returns exactly the receipt's bytes.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? VersionId { get; set; }
}
