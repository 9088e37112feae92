namespace Hds.Storage.Models;

/// <summary>One version of an object, or a delete marker.</summary>
/// <param name="Key">The object key.</param>
/// <param name="VersionId">The version id.</param>
/// <param name="IsLatest">Whether this is the current version.</param>
/// <param name="IsDeleteMarker">Whether this entry is a delete marker (the object looks deleted; older versions remain).</param>
/// <param name="StoredSize">Length of the stored object in bytes (0 for a delete marker).</param>
/// <param name="LastModified">When the version was written.</param>
public sealed record HdsObjectVersionItem(string Key, string VersionId, bool IsLatest, bool IsDeleteMarker, long StoredSize, DateTimeOffset LastModified);
