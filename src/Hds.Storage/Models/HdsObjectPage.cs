namespace Hds.Storage.Models;

/// <summary>One page of a listing.</summary>
/// <param name="Items">The objects of this page, in key order.</param>
/// <param name="ContinuationToken">Pass it back to get the next page; <see langword="null"/> on the last page.</param>
public sealed record HdsObjectPage(IReadOnlyList<HdsObjectItem> Items, string? ContinuationToken);
