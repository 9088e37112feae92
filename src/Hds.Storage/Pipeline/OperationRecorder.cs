using System.Diagnostics;
using System.Security.Cryptography;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Diagnostics;
using Hds.Storage.Models;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.Pipeline;

/// <summary>
/// The audit hop of the pipeline: every outcome becomes one record made durable before the result is returned (fail-closed unless
/// Audit.FailOpen is set), a write is announced in the spool before any byte is sent, and a read that ends badly after it returned
/// gets a follow-up record linked to its opening one.
/// </summary>
internal sealed class OperationRecorder(AuditRuntime audit, TimeProvider time, ILogger logger)
{
    /// <summary>Uploads the pending audit records now.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken) => audit.Sink.FlushAsync(cancellationToken);

    /// <summary>
    /// Announces the write in progress in the audit spool, durably, before any byte is sent (fail-closed: not announced, not sent).
    /// Returns the intent id the stored version carries in its metadata; null without the default audit sink.
    /// </summary>
    public string? AnnounceWrite(string physicalKey, string key, OperationContext operation)
    {
        if (audit.Chained is not { } chained)
        {
            return null;
        }

        var context = operation.Access;
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        try
        {
            chained.Intents.Announce(new AuditIntent(id, time.GetUtcNow(), physicalKey, key, context.Tenant, context.ActorId, context.ActorKind, context.Role,
                context.Purpose, context.PatientPseudonym, context.CorrelationId, context.Application, CurrentTraceId()));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            if (audit.FailOpen)
            {
                Log.AuditNotDurableFailOpen(logger, HdsOperation.Put, ex);
                return null;
            }

            Log.AuditNotDurable(logger, HdsOperation.Put, ex);
            throw new HdsAuditException(
                "The write could not be announced in the audit spool, so nothing was sent (fail-closed). Check the audit spool directory (disk space, permissions).", ex);
        }

        operation.IntentId = id;
        return id;
    }

    /// <summary>The write's record is durable: its intent is closed. Not durable: the intent stays open and the next start reconciles it.</summary>
    public void CompleteIntent(OperationContext running, HdsAuditRecord? recorded)
    {
        if (running.IntentId is { } id && recorded is not null)
        {
            audit.Chained?.Intents.Complete(id);
        }
    }

    /// <summary>
    /// Makes <paramref name="entry"/> durable. Fail-closed: a record that cannot be made durable refuses the operation
    /// (<see cref="HdsAuditException"/>) unless Audit.FailOpen is set. On refusals and failures (<paramref name="throwIfNotDurable"/>
    /// false) the caller gets the original exception; the lost record is logged as critical. Returns the stored record.
    /// </summary>
    public async Task<HdsAuditRecord?> RecordAsync(HdsAuditRecord entry, bool throwIfNotDurable)
    {
        var record = entry with { Time = time.GetUtcNow(), TraceId = CurrentTraceId() };
        try
        {
            var stored = await audit.Sink.WriteAsync(record, CancellationToken.None).ConfigureAwait(false);
            LogRecord(stored);
            return stored;
        }
        catch (Exception ex)
        {
            if (audit.FailOpen)
            {
                Log.AuditNotDurableFailOpen(logger, record.Operation, ex);
                return null;
            }

            Log.AuditNotDurable(logger, record.Operation, ex);
            if (throwIfNotDurable)
            {
                throw new HdsAuditException(
                    "The audit record of this operation could not be made durable, so the operation was refused (fail-closed). "
                    + "Check the audit spool directory (disk space, permissions). A write that completed stays stored, without a receipt.", ex);
            }

            return null;
        }
    }

    /// <summary>
    /// The final outcome of a read whose opening was recorded: linked to the opening record (its sequence) and carrying its actor,
    /// correlation, trace, key and version ids. Called from the content stream (synchronously: the default sink appends to the
    /// spool without awaiting). The caller's read already fails (or was released): a record that cannot be made durable is logged
    /// as critical, the original exception stays the caller's.
    /// </summary>
    public void RecordFollowUp(HdsAuditRecord opened, HdsAuditOutcome outcome, string reason)
    {
        var record = opened with
        {
            Node = null,
            Sequence = 0,
            PreviousHash = null,
            Hash = null,
            Time = time.GetUtcNow(),
            Outcome = outcome,
            Reason = reason,
            Follows = opened.Sequence > 0 ? opened.Sequence : null,
        };
        try
        {
            var write = audit.Sink.WriteAsync(record, CancellationToken.None);
            var stored = write.IsCompletedSuccessfully ? write.Result : write.AsTask().GetAwaiter().GetResult();
            LogRecord(stored);
            if (outcome == HdsAuditOutcome.IntegrityFailure)
            {
                Log.IntegrityFailure(logger, stored.Operation, stored.VersionId, stored.Node, stored.Sequence);
            }
        }
        catch (Exception ex)
        {
            if (outcome == HdsAuditOutcome.IntegrityFailure)
            {
                Log.IntegrityFailure(logger, record.Operation, record.VersionId, null, 0);
            }

            if (audit.FailOpen)
            {
                Log.AuditNotDurableFailOpen(logger, record.Operation, ex);
            }
            else
            {
                Log.AuditNotDurable(logger, record.Operation, ex);
            }
        }
    }

    /// <summary>The facts the core copied into the operation's context from the backend's results (the site, a lost answer found).</summary>
    public static HdsAuditRecord WithSite(HdsAuditRecord entry, OperationContext running) =>
        entry with { Site = running.Site, FoundAfterLostAnswer = running.FoundAfterLostAnswer };

    /// <summary>Who asked, and why, as the audit record names them.</summary>
    public static HdsAuditRecord WithContext(HdsAuditRecord entry, HdsAccessContext context) => entry with
    {
        ActorId = context.ActorId,
        ActorKind = context.ActorKind,
        Role = context.Role ?? (context.Roles.Count > 0 ? context.Roles[0] : null),
        Tenant = context.Tenant,
        Purpose = context.Purpose,
        PatientPseudonym = context.PatientPseudonym,
        CorrelationId = context.CorrelationId,
        Application = context.Application,
    };

    private static string? CurrentTraceId() => Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.TraceId.ToHexString() : null;

    private void LogRecord(HdsAuditRecord stored) =>
        AuditLog.AuditRecord(logger, stored.Operation, stored.Outcome, stored.Reason, stored.ActorId, stored.ActorKind, stored.Tenant, stored.Purpose,
            stored.CorrelationId, stored.Application, stored.Node, stored.Sequence, stored.KeyId, stored.Site, stored.FoundAfterLostAnswer);
}
