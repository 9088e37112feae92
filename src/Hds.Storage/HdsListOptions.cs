namespace Hds.Storage;

/// <summary>Options of <see cref="HdsStorageClient.ListAsync"/> and <see cref="HdsStorageClient.ListPagesAsync"/>.</summary>
public sealed class HdsListOptions : HdsRequestOptions
{
    /// <summary>
    /// The page to start from: a page's <see cref="Models.HdsObjectPage.ContinuationToken"/> (to resume a listing); the first page when null.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ContinuationToken { get; set; }

    /// <summary>The maximum number of objects in a page (one List operation), 1 to 1000.</summary>
    /// <value>The default value is 1000.</value>
    public int PageSize { get; set; } = 1000;
}
