using System.Diagnostics.CodeAnalysis;
namespace Hds.Storage.Models;

/// <summary>One page of a listing.</summary>
public sealed record HdsObjectPage
{
    /// <summary>Creates an empty HdsObjectPage, to fill with an object initializer.</summary>
    public HdsObjectPage()
    {
    }

    // The library's own construction; not public, so a property added later breaks no caller.
    [SetsRequiredMembers]
    internal HdsObjectPage(IReadOnlyList<HdsObjectItem> items, string? continuationToken)
    {
        Items = items;
        ContinuationToken = continuationToken;
    }

    /// <summary>The objects of this page, in key order.</summary>
    public required IReadOnlyList<HdsObjectItem> Items { get; init; }

    /// <summary>Pass it back to get the next page; <see langword="null"/> on the last page.</summary>
    public string? ContinuationToken { get; init; }
}
