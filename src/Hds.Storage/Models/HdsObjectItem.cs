namespace Hds.Storage.Models;

/// <summary>One object (its latest version) in a listing.</summary>
/// <param name="Key">The object key.</param>
/// <param name="StoredSize">Length of the stored (encoded) object in bytes.</param>
/// <param name="LastModified">When the latest version was written.</param>
public sealed record HdsObjectItem(string Key, long StoredSize, DateTimeOffset LastModified);
