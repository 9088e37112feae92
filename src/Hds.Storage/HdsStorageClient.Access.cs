using System.Diagnostics;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Audit.Search;
using Hds.Storage.Diagnostics;
using Hds.Storage.Encryption;
using Hds.Storage.IO;
using Hds.Storage.Keys;
using Hds.Storage.Models;
using Hds.Storage.Objects;

namespace Hds.Storage;

// Access control and audit around every public operation: the one place that resolves the context, authorizes, runs the
// operation with its OperationContext (passed to the core and on to the backend: the S3 headers, the facts of the audit record)
// and records the outcome durably before the result is returned.
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
        ExecuteAsync(HdsOperation.VerifyAudit, options, null, null, async operation =>
        {
            var audit = DefaultAudit();
            if (options?.From is { } from && options.To is { } to && to < from)
            {
                throw new HdsInvalidRequestException("The verification window ends before it starts.");
            }

            await audit.Chained!.FlushAsync(cancellationToken).ConfigureAwait(false);
            return await audit.Verifier!.For(operation).VerifyAsync(options?.From, options?.To, audit.Chained.Spool, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);

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
        ExecuteAsync(HdsOperation.ReadAudit, options, null, null, async operation =>
        {
            var audit = DefaultAudit();
            if (count is < 1 or > 10_000)
            {
                throw new HdsInvalidRequestException("The record count must be between 1 and 10000.");
            }

            var tenant = operation.Access.Tenant;
            return await audit.Verifier!.For(operation).ReadRecentAsync(count, r => string.Equals(r.Tenant, tenant, StringComparison.Ordinal), audit.Chained!.Spool, cancellationToken)
                .ConfigureAwait(false);
        }, cancellationToken);

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
        ExecuteAsync(HdsOperation.ReadAudit, query, query?.Key, query?.VersionId, operation => Task.FromResult(AuditSearcher.Start(DefaultAudit(), query!, operation)), cancellationToken);

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
        if (_audit is not { } audit)
        {
            return;
        }

        var entry = new HdsAuditRecord
        {
            Time = default,
            Operation = HdsOperation.PropagatedContext,
            Outcome = HdsAuditOutcome.Denied,
            Reason = reason,
            Application = caller is { Length: > 0 and <= 128 } && caller.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@') ? caller : null,
        };
        if (claimed is not null && IsValid(claimed))
        {
            entry = WithContext(entry, claimed) with { Application = entry.Application }; // the caller named, not the claimed application
        }

        Log.AccessDenied(_logger, HdsOperation.PropagatedContext, reason);
        await RecordAsync(audit, entry, throwIfNotDurable: true).ConfigureAwait(false);

        static bool IsValid(HdsAccessContext context)
        {
            try
            {
                context.Validate();
                return true;
            }
            catch (HdsInvalidRequestException)
            {
                return false;
            }
        }
    }

    /// <summary>The audit node (writer chain) of this client; null with a custom sink.</summary>
    internal string? AuditNode => _audit?.Node;

    /// <summary>Uploads this client's pending audit records now.</summary>
    internal async Task FlushAuditAsync(CancellationToken cancellationToken)
    {
        if (_audit is not null)
        {
            await _audit.Sink.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private AuditRuntime DefaultAudit() =>
        _audit is { Chained: not null } audit ? audit
            : throw new HdsConfigurationException("A custom audit sink is configured (Audit.Sink): read and verify the trail through it.");

    private Task<T> ExecuteAsync<T>(
        HdsOperation operation, HdsRequestOptions? options, string? key, string? versionId, Func<OperationContext, Task<T>> body, CancellationToken cancellationToken) =>
        ExecuteAsync(operation, options, key, versionId, null, body, cancellationToken);

    // keyId: the key-encryption key an operation names (revocation), recorded even when the operation is refused.
    private Task<T> ExecuteAsync<T>(
        HdsOperation operation, HdsRequestOptions? options, string? key, string? versionId, string? keyId, Func<OperationContext, Task<T>> body,
        CancellationToken cancellationToken) =>
        ExecuteWithArgumentsAsync(operation, options, key, versionId, keyId is null ? null : new OperationArguments { KeyId = keyId }, body, cancellationToken);

    // Telemetry around the audited operation: one activity (nested under the caller's), the duration histogram and the byte and
    // integrity counters. Each signal costs nothing when nobody listens (StartActivity returns null, instruments are disabled).
    // arguments: what the policy decides on besides the key and version (legal-hold state, retain-until, key id).
    // body: the operation's core, given the operation's context. An operation that is part of another (Verify reads through Get)
    // calls the other's core with its own context: authorized, audited and traced once, as the outer operation.
    private async Task<T> ExecuteWithArgumentsAsync<T>(
        HdsOperation operation, HdsRequestOptions? options, string? key, string? versionId, OperationArguments? arguments,
        Func<OperationContext, Task<T>> body, CancellationToken cancellationToken)
    {
        if (_backend is null)
        {
            throw new InvalidOperationException("This client was made for mocking (protected constructor): it has no storage; override the verbs the test calls.");
        }

        if (_audit is null)
        {
            return await body(OperationContext.For(ResolveContext(options), "-", operation)).ConfigureAwait(false); // no audit: not composed
        }

        var activity = HdsStorageTelemetry.Source.StartActivity(OperationDescriptors.For(operation).SpanName, ActivityKind.Internal);
        var timed = activity is not null || HdsStorageTelemetry.OperationDuration.Enabled;
        var started = timed ? _time.GetTimestamp() : 0;
        var operationName = operation.ToString();
        activity?.SetTag("hds.operation", operationName);
        try
        {
            var result = await ExecuteAuditedAsync(operation, options, key, versionId, arguments, body, activity, cancellationToken).ConfigureAwait(false);
            var outcome = result is HdsAuditVerificationResult { IsValid: false } ? HdsAuditOutcome.IntegrityFailure : HdsAuditOutcome.Succeeded;
            var size = result switch
            {
                HdsStorageReceipt r => r.Size,
                HdsVerificationResult v => v.Size,
                HdsDownload d => d.Properties.Size,
                _ => (long?)null,
            };
            Complete(activity, operationName, outcome, null, size, timed ? _time.GetElapsedTime(started) : default);
            switch (result)
            {
                case HdsStorageReceipt receipt:
                    HdsStorageTelemetry.BytesWritten.Add(receipt.Size, new KeyValuePair<string, object?>("hds.operation", operationName));
                    break;
                case HdsVerificationResult verified:
                    HdsStorageTelemetry.BytesRead.Add(verified.Size, new KeyValuePair<string, object?>("hds.operation", operationName));
                    break;
                case HdsDownload download when HdsStorageTelemetry.BytesRead.Enabled || HdsStorageTelemetry.IntegrityFailures.Enabled:
                    // The content is verified as the caller reads it, after this returns: count there.
                    return (T)(object)new HdsDownload(new MeteredReadStream(download.Content, operationName), download.Properties);
            }

            return result;
        }
        catch (Exception ex)
        {
            var (outcome, _) = Classify(ex);
            var errorType = ex is HdsStorageException hds ? hds.ErrorCode.ToString() : ex is OperationCanceledException ? "Cancelled" : ex.GetType().Name;
            Complete(activity, operationName, outcome, errorType, null, timed ? _time.GetElapsedTime(started) : default);
            throw;
        }
        finally
        {
            activity?.Dispose();
        }
    }

    /// <summary>The outcome tag value: "succeeded", "denied", "failed", "integrity_failure", "not_found".</summary>
    private static string OutcomeName(HdsAuditOutcome outcome) => outcome switch
    {
        HdsAuditOutcome.Succeeded => "succeeded",
        HdsAuditOutcome.Denied => "denied",
        HdsAuditOutcome.IntegrityFailure => "integrity_failure",
        HdsAuditOutcome.NotFound => "not_found",
        HdsAuditOutcome.Cancelled => "cancelled",
        HdsAuditOutcome.Incomplete => "incomplete",
        _ => "failed",
    };

    private static void Complete(Activity? activity, string operation, HdsAuditOutcome outcome, string? errorType, long? size, TimeSpan elapsed)
    {
        var outcomeName = OutcomeName(outcome);
        var operationTag = new KeyValuePair<string, object?>("hds.operation", operation);
        if (outcome == HdsAuditOutcome.IntegrityFailure)
        {
            HdsStorageTelemetry.IntegrityFailures.Add(1, operationTag);
        }

        if (HdsStorageTelemetry.OperationDuration.Enabled)
        {
            HdsStorageTelemetry.OperationDuration.Record(elapsed.TotalSeconds, operationTag, new KeyValuePair<string, object?>("hds.outcome", outcomeName));
        }

        if (activity is null)
        {
            return;
        }

        activity.SetTag("hds.outcome", outcomeName);
        if (size is { } bytes)
        {
            activity.SetTag("hds.object.size", bytes);
        }

        if (errorType is not null || outcome != HdsAuditOutcome.Succeeded)
        {
            // The error code only: exception messages stay out of traces.
            var code = errorType ?? outcomeName;
            activity.SetTag("error.type", code);
            activity.SetStatus(ActivityStatusCode.Error, code);
        }
    }

    private async Task<T> ExecuteAuditedAsync<T>(
        HdsOperation operation, HdsRequestOptions? options, string? key, string? versionId, OperationArguments? arguments,
        Func<OperationContext, Task<T>> body, Activity? activity, CancellationToken cancellationToken)
    {
        var audit = _audit!;
        var keyId = arguments?.KeyId;
        var descriptor = OperationDescriptors.For(operation);

        var entry = new HdsAuditRecord
        {
            Time = default,
            Operation = operation,
            Outcome = HdsAuditOutcome.Succeeded,
            Key = IsValidKey(key, descriptor) ? key : null,
            VersionId = versionId is { Length: > 0 and <= 1024 } v && v.All(c => c is > ' ' and < (char)127) ? v : null,
            KeyId = keyId is not null && FormatV1Header.IsValidKeyId(keyId) ? keyId : null,
        };
        // What the request asks for, recorded on every outcome, refusals included (the legal hold state, the retain-until asked).
        entry = entry with { LegalHold = arguments?.LegalHold, RetainUntilRequested = arguments?.RetainUntil };

        HdsAccessContext context;
        try
        {
            context = ResolveContext(options);
        }
        catch (HdsStorageException)
        {
            var reason = options?.Context is null && audit.Accessor.Current is null && HdsAccessScope.Current is null ? "no-context" : "invalid-context";
            Log.AccessDenied(_logger, operation, reason);
            await RecordAsync(audit, entry with { Outcome = HdsAuditOutcome.Denied, Reason = reason }, throwIfNotDurable: false).ConfigureAwait(false);
            throw;
        }

        // The tenant (scheme) is a pseudonymous id; the actor and patient pseudonyms stay in the audit trail only.
        activity?.SetTag("hds.tenant", context.Tenant);
        entry = WithContext(entry, context);

        // A retain-until beyond the horizon is bad input whatever the role or the policy: refused before the policy is asked.
        if (arguments?.RetainUntil is { } retainUntil)
        {
            try
            {
                _retention.CheckWithinHorizon(retainUntil);
            }
            catch (HdsInvalidRequestException)
            {
                await RecordAsync(audit, entry with { Outcome = HdsAuditOutcome.Failed, Reason = "retain-until-beyond-horizon" }, throwIfNotDurable: false)
                    .ConfigureAwait(false);
                throw;
            }
        }

        HdsAuthorizationDecision decision;
        try
        {
            var resourceTenant = descriptor.IsBucketWide ? null : context.Tenant;
            var request = new HdsAuthorizationRequest(operation, context, resourceTenant, entry.Key, entry.VersionId)
            {
                // Empty for a list of everything; null for a malformed prefix (refused by the operation after the policy).
                Prefix = descriptor.KeyIsPrefix ? (string.IsNullOrEmpty(key) ? string.Empty : entry.Key) : null,
                LegalHold = arguments?.LegalHold,
                RetainUntil = arguments?.RetainUntil,
                KeyId = entry.KeyId,
            };
            decision = await audit.Policy.AuthorizeAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await RecordAsync(audit, entry with { Outcome = HdsAuditOutcome.Failed, Reason = Classify(ex).Reason }, throwIfNotDurable: false).ConfigureAwait(false);
            throw;
        }

        if (!decision.IsAllowed)
        {
            Log.AccessDenied(_logger, operation, decision.Reason!);
            await RecordAsync(audit, entry with { Outcome = HdsAuditOutcome.Denied, Reason = decision.Reason }, throwIfNotDurable: false).ConfigureAwait(false);
            throw new HdsAccessDeniedException(
                $"The access policy denied this {operation} operation ({decision.Reason})."
                + (audit.Policy is HdsDefaultAuthorizationPolicy policy ? policy.Requirements(operation) : string.Empty)
                + " Check the access context's tenant, purpose of use and roles.");
        }

        // The role a sensitive operation was granted by is the one the record names (an identity may hold several).
        if (decision.GrantedBy is { } grantedBy)
        {
            entry = entry with { Role = grantedBy };
        }

        T result;
        var running = OperationContext.For(context, audit.Node ?? "-", operation, activity);
        try
        {
            result = await body(running).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // A write can fail after it was stored (retention not verified): the record still names the site that stored it, and
            // the version it stored when there is one (found by the intent it carries).
            var (outcome, reason) = Classify(ex);
            var failedEntry = ex is HdsNotGeoDurableException notGeoDurable
                ? OperationDescriptors.OfReceipt(entry, notGeoDurable.Receipt) with { Reason = "not-geo-durable" } // stored and locked: the record names the version
                : entry with { Outcome = outcome, Reason = reason, VersionId = running.WrittenVersionId ?? entry.VersionId };
            var failed = await RecordAsync(audit, WithSite(failedEntry, running), throwIfNotDurable: false).ConfigureAwait(false);
            CompleteIntent(audit, running, failed);
            if (outcome == HdsAuditOutcome.IntegrityFailure)
            {
                Log.IntegrityFailure(_logger, operation, entry.VersionId, failed?.Node, failed?.Sequence ?? 0);
            }

            throw;
        }

        try
        {
            var opened = await RecordAsync(audit, descriptor.Audit(WithSite(entry, running), result), throwIfNotDurable: true).ConfigureAwait(false);
            CompleteIntent(audit, running, opened);
            if (result is HdsDownload download && opened is not null)
            {
                // The content is verified as the caller reads it, after this returns: the end of the read is observed and its
                // outcome recorded when it is not a success.
                result = (T)(object)new HdsDownload(new AuditedReadStream(download.Content, (outcome, reason) => RecordFollowUp(audit, opened, outcome, reason)),
                    download.Properties);
            }
            else if (result is HdsAuditSearch search && opened is not null)
            {
                // The search verifies as it is enumerated: a trail found not intact is recorded when the enumeration ends.
                search.Completed = s =>
                {
                    if (!s.IsValid)
                    {
                        RecordFollowUp(audit, opened, HdsAuditOutcome.IntegrityFailure, "audit-trail-invalid");
                    }
                };
            }
        }
        catch (HdsAuditException)
        {
            if (result is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        return result;
    }

    /// <summary>
    /// Announces the write in progress in the audit spool, durably, before any byte is sent (fail-closed: not announced, not sent).
    /// Returns the intent id the stored version carries in its metadata; null without the default audit sink.
    /// </summary>
    private string? AnnounceWrite(string physicalKey, string key, OperationContext operation)
    {
        if (_audit is not { Chained: { } chained } audit)
        {
            return null;
        }

        var context = operation.Access;
        var id = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        try
        {
            chained.Intents.Announce(new AuditIntent(id, _time.GetUtcNow(), physicalKey, key, context.Tenant, context.ActorId, context.ActorKind, context.Role,
                context.Purpose, context.PatientPseudonym, context.CorrelationId, context.Application,
                Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.TraceId.ToHexString() : null));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            if (audit.FailOpen)
            {
                Log.AuditNotDurableFailOpen(_logger, HdsOperation.Put, ex);
                return null;
            }

            Log.AuditNotDurable(_logger, HdsOperation.Put, ex);
            throw new HdsAuditException(
                "The write could not be announced in the audit spool, so nothing was sent (fail-closed). Check the audit spool directory (disk space, permissions).", ex);
        }

        operation.IntentId = id;
        return id;
    }

    // The write's record is durable: its intent is closed. Not durable: the intent stays open and the next start reconciles it.
    private static void CompleteIntent(AuditRuntime audit, OperationContext running, HdsAuditRecord? recorded)
    {
        if (running.IntentId is { } id && recorded is not null)
        {
            audit.Chained?.Intents.Complete(id);
        }
    }

    // The final outcome of a read whose opening was recorded: linked to the opening record (its sequence) and carrying its actor,
    // correlation, trace, key and version ids. Called from the content stream (synchronously: the default sink appends to the
    // spool without awaiting). The caller's read already fails (or was released): a record that cannot be made durable is logged
    // as critical, the original exception stays the caller's.
    private void RecordFollowUp(AuditRuntime audit, HdsAuditRecord opened, HdsAuditOutcome outcome, string reason)
    {
        var record = opened with
        {
            Node = null,
            Sequence = 0,
            PreviousHash = null,
            Hash = null,
            Time = _time.GetUtcNow(),
            Outcome = outcome,
            Reason = reason,
            Follows = opened.Sequence > 0 ? opened.Sequence : null,
        };
        try
        {
            var write = audit.Sink.WriteAsync(record, CancellationToken.None);
            var stored = write.IsCompletedSuccessfully ? write.Result : write.AsTask().GetAwaiter().GetResult();
            AuditLog.AuditRecord(_logger, stored.Operation, stored.Outcome, stored.Reason, stored.ActorId, stored.ActorKind, stored.Tenant, stored.Purpose,
                stored.CorrelationId, stored.Application, stored.Node, stored.Sequence, stored.KeyId, stored.Site, stored.FoundAfterLostAnswer);
            if (outcome == HdsAuditOutcome.IntegrityFailure)
            {
                Log.IntegrityFailure(_logger, stored.Operation, stored.VersionId, stored.Node, stored.Sequence);
            }
        }
        catch (Exception ex)
        {
            if (outcome == HdsAuditOutcome.IntegrityFailure)
            {
                Log.IntegrityFailure(_logger, record.Operation, record.VersionId, null, 0);
            }

            if (audit.FailOpen)
            {
                Log.AuditNotDurableFailOpen(_logger, record.Operation, ex);
            }
            else
            {
                Log.AuditNotDurable(_logger, record.Operation, ex);
            }
        }
    }

    // Fail-closed: a record that cannot be made durable refuses the operation (HdsAuditException) unless Audit.FailOpen is set.
    // On refusals and failures the caller gets the original exception; the lost record is logged as critical. Returns the stored record.
    private async Task<HdsAuditRecord?> RecordAsync(AuditRuntime audit, HdsAuditRecord entry, bool throwIfNotDurable)
    {
        var record = entry with
        {
            Time = _time.GetUtcNow(),
            TraceId = Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? activity.TraceId.ToHexString() : null,
        };
        try
        {
            var stored = await audit.Sink.WriteAsync(record, CancellationToken.None).ConfigureAwait(false);
            AuditLog.AuditRecord(_logger, stored.Operation, stored.Outcome, stored.Reason, stored.ActorId, stored.ActorKind, stored.Tenant, stored.Purpose,
                stored.CorrelationId, stored.Application, stored.Node, stored.Sequence, stored.KeyId, stored.Site, stored.FoundAfterLostAnswer);
            return stored;
        }
        catch (Exception ex)
        {
            if (audit.FailOpen)
            {
                Log.AuditNotDurableFailOpen(_logger, record.Operation, ex);
                return null;
            }

            Log.AuditNotDurable(_logger, record.Operation, ex);
            if (throwIfNotDurable)
            {
                throw new HdsAuditException(
                    "The audit record of this operation could not be made durable, so the operation was refused (fail-closed). "
                    + "Check the audit spool directory (disk space, permissions). A write that completed stays stored, without a receipt.", ex);
            }

            return null;
        }
    }

    // The facts the core copied into the operation's context from the backend's results (the site, a lost answer found).
    private static HdsAuditRecord WithSite(HdsAuditRecord entry, OperationContext running) =>
        entry with { Site = running.Site, FoundAfterLostAnswer = running.FoundAfterLostAnswer };

    // Who asked, and why, as the audit record names them.
    private static HdsAuditRecord WithContext(HdsAuditRecord entry, HdsAccessContext context) => entry with
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

    private static (HdsAuditOutcome Outcome, string Reason) Classify(Exception ex) => ex switch
    {
        HdsAccessDeniedException => (HdsAuditOutcome.Denied, "storage-denied"),
        HdsIntegrityException => (HdsAuditOutcome.IntegrityFailure, nameof(HdsErrorCode.Integrity)),
        HdsObjectNotFoundException => (HdsAuditOutcome.NotFound, nameof(HdsErrorCode.NotFound)),
        _ when ContentSourceStream.IsSourceFailure(ex) => (HdsAuditOutcome.Failed, ContentSourceStream.AuditReason),
        HdsStorageException s => (HdsAuditOutcome.Failed, s.ErrorCode.ToString()),
        OperationCanceledException => (HdsAuditOutcome.Cancelled, "cancelled"),
        ArgumentException => (HdsAuditOutcome.Failed, "invalid-argument"),
        _ => (HdsAuditOutcome.Failed, "unexpected"),
    };

    // Only keys that passed validation go into the record (a malformed key could hold anything).
    private static bool IsValidKey(string? key, OperationDescriptor operation)
    {
        if (key is null)
        {
            return false;
        }

        try
        {
            if (operation.KeyIsPrefix)
            {
                ObjectKeys.ValidatePrefix(key);
            }
            else
            {
                ObjectKeys.Validate(key);
            }

            return true;
        }
        catch (HdsInvalidRequestException)
        {
            return false;
        }
    }
}
