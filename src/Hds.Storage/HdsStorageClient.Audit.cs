using Hds.Storage.Models;

namespace Hds.Storage;

// The audit trail's operations: verified, read and searched through the same pipeline as every other operation (Pipeline/),
// so they are authorized and audited themselves.
public partial class HdsStorageClient
{
    /// <summary>
    /// Verifies the stored audit trail (after uploading this client's pending records): detects any removed, altered, inserted or
    /// reordered record or segment, any gap in a chain, and any invalid or inconsistent signed checkpoint.
    /// Requires a purpose allowed for <see cref="HdsOperation.VerifyAudit"/> and a role granting it ("audit" and "auditor" by default).
    /// </summary>
    /// <param name="options">The time window and the access context.</param>
    /// <param name="cancellationToken">Cancels the verification.</param>
    /// <returns>What was verified and every problem found; <see cref="HdsAuditVerificationResult.IsValid"/> says whether the trail is intact.</returns>
    /// <exception cref="HdsConfigurationException">A custom audit sink is configured: verification belongs to it.</exception>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    public virtual Task<HdsAuditVerificationResult> VerifyAuditLogAsync(HdsAuditVerifyOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(HdsOperation.VerifyAudit, options, null, null, operation => _auditTrail.VerifyAsync(options, operation, cancellationToken), cancellationToken);

    /// <summary>
    /// Reads the most recent audit records of the context's tenant, oldest first (stored segments of every node and this client's
    /// records not yet uploaded). Requires a purpose allowed for <see cref="HdsOperation.ReadAudit"/> and a role granting it ("audit" and
    /// "auditor" by default).
    /// </summary>
    /// <param name="count">How many records, 1 to 10000.</param>
    /// <param name="options">The access context.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The records; <see cref="HdsAuditRecord.ToJsonLine"/> gives each as the JSON line it is stored as.</returns>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsConfigurationException">The bucket is not fit for health data (versioning or object lock off).</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    public virtual Task<IReadOnlyList<HdsAuditRecord>> GetRecentAuditRecordsAsync(int count = 20, HdsRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(HdsOperation.ReadAudit, options, null, null, operation => _auditTrail.ReadRecentAsync(count, operation, cancellationToken), cancellationToken);

    /// <summary>
    /// Searches the stored audit trail, verifying what it reads: only records of segments that verify are returned, and the problems found
    /// are in <see cref="HdsAuditSearch.Problems"/> when the enumeration ends. Segments whose names put them outside the query's time range
    /// are not read. The search is itself audited (a <see cref="HdsOperation.ReadAudit"/> record; a follow-up record with the outcome
    /// <see cref="HdsAuditOutcome.IntegrityFailure"/> when problems were found). Requires a purpose allowed for
    /// <see cref="HdsOperation.ReadAudit"/> and a role granting it ("audit" and "auditor" by default).
    /// </summary>
    /// <param name="query">The filters, the time range and the access context.</param>
    /// <param name="cancellationToken">Cancels the start of the search (pass the enumeration's own token to <c>await foreach</c>).</param>
    /// <returns>The search, to enumerate once.</returns>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsConfigurationException">The bucket is not fit for health data (versioning or object lock off).</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    public virtual Task<HdsAuditSearch> SearchAuditAsync(HdsAuditQuery query, CancellationToken cancellationToken = default) =>
        ExecuteAsync(HdsOperation.ReadAudit, query, query?.Key, query?.VersionId, operation => _auditTrail.SearchAsync(query!, operation), cancellationToken);

    /// <summary>
    /// Records in the audit trail that a service refused an access context another service propagated to it, before any operation
    /// ran: a replayed or forged signature is an intrusion attempt the trail must show, not only the log. Used by the ASP.NET Core
    /// middleware; the record is a <see cref="HdsOperation.PropagatedContext"/> refusal (<see cref="HdsAuditOutcome.Denied"/>).
    /// </summary>
    /// <param name="caller">The caller id the request named (recorded as the application); ignored unless a valid token.</param>
    /// <param name="reason">Why it was refused, a short code such as "replayed-signature" (letters, digits and '-').</param>
    /// <param name="claimed">The context the request claimed when it was well-formed, else null: recorded as claimed, not as proven.</param>
    /// <param name="cancellationToken">Cancels waiting for the record to be made durable.</param>
    /// <returns>A task completing when the record is durable (or logged as lost when Audit.FailOpen is set).</returns>
    /// <exception cref="ArgumentException"><paramref name="reason"/> is not a short code.</exception>
    /// <exception cref="HdsAuditException">The record could not be made durable.</exception>
    public async Task RecordRefusedPropagatedContextAsync(string caller, string reason, HdsAccessContext? claimed, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        if (reason.Length > 64 || !reason.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            throw new ArgumentException("The reason must be a short code (at most 64 lower-case letters, digits and '-').", nameof(reason));
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (_pipeline is not null)
        {
            await _pipeline.RecordRefusedPropagatedContextAsync(caller, reason, claimed).ConfigureAwait(false);
        }
    }

    /// <summary>The audit node (writer chain) of this client; null with a custom sink.</summary>
    internal string? AuditNode => _pipeline?.AuditNode;

    /// <summary>Uploads this client's pending audit records now.</summary>
    internal async Task FlushAuditAsync(CancellationToken cancellationToken)
    {
        if (_pipeline is not null)
        {
            await _pipeline.Recorder.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
