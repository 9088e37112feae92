using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Audit.Search;
using Hds.Storage.Models;

namespace Hds.Storage.Operations;

/// <summary>
/// The audit trail's verbs: verify it, read its recent records, search it. They read through the default (chained) sink's
/// verifier, over the stored trail and this client's records not yet uploaded; with a custom sink (Audit.Sink) they belong to it.
/// </summary>
internal sealed class AuditTrailOperations(AuditRuntime audit)
{
    /// <summary>Uploads this client's pending records, then verifies the stored trail in the options' window.</summary>
    public async Task<HdsAuditVerificationResult> VerifyAsync(HdsAuditVerifyOptions? options, OperationContext operation, CancellationToken cancellationToken)
    {
        var chained = Default();
        if (options?.From is { } from && options.To is { } to && to < from)
        {
            throw new HdsInvalidRequestException("The verification window ends before it starts.");
        }

        await chained.Chained!.FlushAsync(cancellationToken).ConfigureAwait(false);
        return await chained.Verifier!.For(operation).VerifyAsync(options?.From, options?.To, chained.Chained.Spool, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The most recent records of the operation's tenant, oldest first.</summary>
    public async Task<IReadOnlyList<HdsAuditRecord>> ReadRecentAsync(int count, OperationContext operation, CancellationToken cancellationToken)
    {
        var chained = Default();
        if (count is < 1 or > 10_000)
        {
            throw new HdsInvalidRequestException("The record count must be between 1 and 10000.");
        }

        var tenant = operation.Access.Tenant;
        return await chained.Verifier!.For(operation).ReadRecentAsync(count, r => string.Equals(r.Tenant, tenant, StringComparison.Ordinal), chained.Chained!.Spool, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Starts a search, verified as it is enumerated.</summary>
    public Task<HdsAuditSearch> SearchAsync(HdsAuditQuery query, OperationContext operation) => Task.FromResult(AuditSearcher.Start(Default(), query, operation));

    private AuditRuntime Default() =>
        audit.Chained is not null ? audit
            : throw new HdsConfigurationException("A custom audit sink is configured (Audit.Sink): read and verify the trail through it.");
}
