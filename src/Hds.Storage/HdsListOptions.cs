namespace Hds.Storage;

/// <summary>Options of <see cref="HdsStorageClient.ListAsync"/>.</summary>
public sealed class HdsListOptions : HdsRequestOptions
{
    /// <summary>The token of the page to read, from the previous page; the first page when null.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ContinuationToken { get; set; }

    /// <summary>The maximum number of objects in a page, 1 to 1000.</summary>
    /// <value>The default value is 1000.</value>
    public int PageSize { get; set; } = 1000;
}
