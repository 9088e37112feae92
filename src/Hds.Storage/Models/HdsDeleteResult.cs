namespace Hds.Storage.Models;

/// <summary>The outcome of a delete: a delete marker hides the object; every version stays stored.</summary>
/// <param name="Key">The object key.</param>
/// <param name="DeleteMarkerVersionId">The version id of the delete marker.</param>
public sealed record HdsDeleteResult(string Key, string DeleteMarkerVersionId);
