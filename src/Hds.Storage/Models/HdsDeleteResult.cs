using System.Diagnostics.CodeAnalysis;
namespace Hds.Storage.Models;

/// <summary>The outcome of a delete: a delete marker hides the object; every version stays stored.</summary>
public sealed record HdsDeleteResult
{
    /// <summary>Creates an empty HdsDeleteResult, to fill with an object initializer.</summary>
    public HdsDeleteResult()
    {
    }

    // The library's own construction; not public, so a property added later breaks no caller.
    [SetsRequiredMembers]
    internal HdsDeleteResult(string key, string deleteMarkerVersionId)
    {
        Key = key;
        DeleteMarkerVersionId = deleteMarkerVersionId;
    }

    /// <summary>The object key.</summary>
    public required string Key { get; init; }

    /// <summary>The version id of the delete marker.</summary>
    public required string DeleteMarkerVersionId { get; init; }
}
