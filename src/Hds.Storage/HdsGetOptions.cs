namespace Hds.Storage;

/// <summary>Options of <see cref="HdsStorageClient.GetAsync"/>.</summary>
public sealed class HdsGetOptions : HdsVersionOptions
{
    /// <summary>
    /// A byte range of the content to read. Only the segments holding it are fetched and decrypted, each verified before any of its
    /// bytes is returned; the SHA-256 of the whole content is only checked by a full read (or <see cref="HdsStorageClient.VerifyAsync"/>).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the whole content.</value>
    public Models.HdsContentRange? Range { get; set; }
}
