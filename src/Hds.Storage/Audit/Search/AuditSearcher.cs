using Hds.Storage.Access;

namespace Hds.Storage.Audit.Search;

/// <summary>Starts a verified audit search over the trail of one client: its pending records are uploaded first, then the window verified.</summary>
internal static class AuditSearcher
{
    /// <param name="audit">The client's audit.</param>
    /// <param name="query">The search.</param>
    /// <param name="operation">The search operation: the reads of the enumeration, after it returned, run for it.</param>
    public static HdsAuditSearch Start(AuditRuntime audit, HdsAuditQuery query, OperationContext operation)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return new HdsAuditSearch(query, async (progress, cancellationToken) =>
        {
            await audit.Chained!.FlushAsync(cancellationToken).ConfigureAwait(false);
            return await audit.Verifier!.For(operation).VerifyAsync(query.From, query.To, audit.Chained.Spool, progress, cancellationToken).ConfigureAwait(false);
        });
    }
}
