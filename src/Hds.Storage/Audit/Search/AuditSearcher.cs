namespace Hds.Storage.Audit.Search;

/// <summary>Starts a verified audit search over the trail of one client: its pending records are uploaded first, then the window verified.</summary>
internal static class AuditSearcher
{
    public static HdsAuditSearch Start(AuditRuntime audit, HdsAuditQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return new HdsAuditSearch(query, async (progress, cancellationToken) =>
        {
            await audit.Chained!.FlushAsync(cancellationToken).ConfigureAwait(false);
            return await audit.Verifier!.VerifyAsync(query.From, query.To, audit.Chained.Spool, progress, cancellationToken).ConfigureAwait(false);
        });
    }
}
