using System.Diagnostics.CodeAnalysis;
namespace Hds.Storage.Models;

/// <summary>One version of an object, or a delete marker.</summary>
public sealed record HdsObjectVersionItem
{
    /// <summary>Creates an empty HdsObjectVersionItem, to fill with an object initializer.</summary>
    public HdsObjectVersionItem()
    {
    }

    // The library's own construction; not public, so a property added later breaks no caller.
    [SetsRequiredMembers]
    internal HdsObjectVersionItem(string key, string versionId, bool isLatest, bool isDeleteMarker, long storedSize, DateTimeOffset lastModified)
    {
        Key = key;
        VersionId = versionId;
        IsLatest = isLatest;
        IsDeleteMarker = isDeleteMarker;
        StoredSize = storedSize;
        LastModified = lastModified;
    }

    /// <summary>The object key.</summary>
    public required string Key { get; init; }

    /// <summary>The version id.</summary>
    public required string VersionId { get; init; }

    /// <summary>Whether this is the current version.</summary>
    public required bool IsLatest { get; init; }

    /// <summary>Whether this entry is a delete marker (the object looks deleted; older versions remain).</summary>
    public required bool IsDeleteMarker { get; init; }

    /// <summary>Length of the stored object in bytes (0 for a delete marker).</summary>
    public required long StoredSize { get; init; }

    /// <summary>When the version was written.</summary>
    public required DateTimeOffset LastModified { get; init; }
}
