using System.Diagnostics.CodeAnalysis;
namespace Hds.Storage.Models;

/// <summary>One object (its latest version) in a listing.</summary>
public sealed record HdsObjectItem
{
    /// <summary>Creates an empty HdsObjectItem, to fill with an object initializer.</summary>
    public HdsObjectItem()
    {
    }

    // The library's own construction; not public, so a property added later breaks no caller.
    [SetsRequiredMembers]
    internal HdsObjectItem(string key, long storedSize, DateTimeOffset lastModified)
    {
        Key = key;
        StoredSize = storedSize;
        LastModified = lastModified;
    }

    /// <summary>The object key.</summary>
    public required string Key { get; init; }

    /// <summary>Length of the stored (encoded) object in bytes.</summary>
    public required long StoredSize { get; init; }

    /// <summary>When the latest version was written.</summary>
    public required DateTimeOffset LastModified { get; init; }
}
