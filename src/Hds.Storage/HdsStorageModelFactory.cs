using Hds.Storage.Audit;
using Hds.Storage.Audit.Search;
using Hds.Storage.Models;

namespace Hds.Storage;

/// <summary>
/// Builds the results that the client's verbs return and that a consumer cannot build otherwise, so that code using a derived
/// (mocked) <see cref="HdsStorageClient"/> can be tested without storage. The other models are records with public initializers.
/// </summary>
public static class HdsStorageModelFactory
{
    /// <summary>A download, as <see cref="HdsStorageClient.GetAsync"/> returns it, of the given content.</summary>
    /// <param name="content">The content the download returns (disposed with the download).</param>
    /// <param name="properties">The version's properties.</param>
    /// <returns>The download.</returns>
    public static HdsDownload Download(Stream content, HdsObjectProperties properties)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(properties);
        return new HdsDownload(content, properties);
    }

    /// <summary>
    /// An audit search, as <see cref="HdsStorageClient.SearchAuditAsync"/> returns it, that yields the given records and ends with
    /// the given problems (none: a valid search).
    /// </summary>
    /// <param name="query">The query the search answers.</param>
    /// <param name="records">The records the enumeration yields, in that order.</param>
    /// <param name="problems">The problems the search reports at its end.</param>
    /// <returns>The search, to be enumerated once.</returns>
    public static HdsAuditSearch AuditSearch(HdsAuditQuery query, IEnumerable<HdsAuditRecord> records, IReadOnlyList<HdsAuditProblem>? problems = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(records);
        var list = records.ToList();
        return new HdsAuditSearch(query, async (progress, cancellationToken) =>
        {
            foreach (var record in list)
            {
                progress.RecordsScanned++;
                await progress.Deliver(record, cancellationToken).ConfigureAwait(false);
            }

            return new HdsAuditVerificationResult
            {
                Nodes = list.Select(r => r.Node).OfType<string>().Distinct(StringComparer.Ordinal).ToList(),
                RecordsVerified = list.Count,
                SegmentsVerified = 0,
                CheckpointsVerified = 0,
                Problems = problems ?? [],
            };
        });
    }
}
