using System.Diagnostics;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Diagnostics;
using Hds.Storage.Encryption;
using Hds.Storage.IO;
using Hds.Storage.Models;
using Hds.Storage.Objects;
using Hds.Storage.Retention;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.Pipeline;

/// <summary>
/// The one path every public operation takes (issue 15: an explicit pipeline, not half of the client). Hop by hop: telemetry
/// (<see cref="OperationTelemetry"/>) → the access context resolved and validated → a retain-until within the horizon → the
/// authorization policy → the operation's core, given its <see cref="OperationContext"/> → the outcome recorded durably
/// (<see cref="OperationRecorder"/>) before the result is returned, its deferred part (content read later) observed to its end.
/// Built once per client by <see cref="ClientComposition"/>.
/// </summary>
internal sealed class OperationPipeline
{
    private readonly AuditRuntime _audit;
    private readonly RetentionPolicy _retention;
    private readonly OperationRecorder _recorder;
    private readonly OperationTelemetry _telemetry;
    private readonly ILogger _logger;

    public OperationPipeline(AuditRuntime audit, RetentionPolicy retention, TimeProvider time, ILogger logger)
    {
        _audit = audit;
        _retention = retention;
        _logger = logger;
        _recorder = new OperationRecorder(audit, time, logger);
        _telemetry = new OperationTelemetry(time);
    }

    /// <summary>The audit records of every operation, and the write intents announced before any byte is sent.</summary>
    public OperationRecorder Recorder => _recorder;

    /// <summary>The audit node (writer chain) of this client; null with a custom sink.</summary>
    public string? AuditNode => _audit.Node;

    /// <summary>Runs one operation through the pipeline.</summary>
    /// <param name="operation">The operation (its row of <see cref="OperationDescriptors"/>: span, resource, audit facts).</param>
    /// <param name="options">The per-call options holding the explicit access context, if any.</param>
    /// <param name="key">The key (or prefix) the operation names, recorded once validated.</param>
    /// <param name="versionId">The version it names, recorded when well-formed.</param>
    /// <param name="arguments">What the policy decides on besides the key and version (legal-hold state, retain-until, key id).</param>
    /// <param name="body">
    /// The operation's core, given the operation's context. An operation that is part of another (Verify reads through Get) calls
    /// the other's core with its own context: authorized, audited and traced once, as the outer operation.
    /// </param>
    /// <param name="cancellationToken">Cancels the authorization.</param>
    public Task<T> ExecuteAsync<T>(
        HdsOperation operation, HdsRequestOptions? options, string? key, string? versionId, OperationArguments? arguments,
        Func<OperationContext, Task<T>> body, CancellationToken cancellationToken) =>
        _telemetry.TraceAsync(operation, activity => ExecuteAuditedAsync(operation, options, key, versionId, arguments, body, activity, cancellationToken));

    /// <summary>
    /// Records that a propagated access context was refused before any operation ran (the ASP.NET Core middleware): a
    /// <see cref="HdsOperation.PropagatedContext"/> refusal naming the caller, and the context claimed when it is well-formed.
    /// </summary>
    public async Task RecordRefusedPropagatedContextAsync(string caller, string reason, HdsAccessContext? claimed)
    {
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
            entry = OperationRecorder.WithContext(entry, claimed) with { Application = entry.Application }; // the caller named, not the claimed application
        }

        Log.AccessDenied(_logger, HdsOperation.PropagatedContext, reason);
        await _recorder.RecordAsync(entry, throwIfNotDurable: true).ConfigureAwait(false);

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

    /// <summary>The audit outcome and reason code an operation's exception is recorded (and traced) with.</summary>
    public static (HdsAuditOutcome Outcome, string Reason) Classify(Exception ex) => ex switch
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

    private async Task<T> ExecuteAuditedAsync<T>(
        HdsOperation operation, HdsRequestOptions? options, string? key, string? versionId, OperationArguments? arguments,
        Func<OperationContext, Task<T>> body, Activity? activity, CancellationToken cancellationToken)
    {
        var keyId = arguments?.KeyId;
        var descriptor = OperationDescriptors.For(operation);

        var entry = new HdsAuditRecord
        {
            Time = default,
            Operation = operation,
            Outcome = HdsAuditOutcome.Succeeded,
            Key = IsValidKey(key, descriptor) ? key : null,
            VersionId = versionId is not null && ObjectKeys.IsValidVersionId(versionId) ? versionId : null,
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
            var reason = options?.Context is null && _audit.Accessor.Current is null && HdsAccessScope.Current is null ? "no-context" : "invalid-context";
            Log.AccessDenied(_logger, operation, reason);
            await _recorder.RecordAsync(entry with { Outcome = HdsAuditOutcome.Denied, Reason = reason }, throwIfNotDurable: false).ConfigureAwait(false);
            throw;
        }

        // The tenant (scheme) is a pseudonymous id; the actor and patient pseudonyms stay in the audit trail only.
        activity?.SetTag("hds.tenant", context.Tenant);
        entry = OperationRecorder.WithContext(entry, context);

        // A retain-until beyond the horizon is bad input whatever the role or the policy: refused before the policy is asked.
        if (arguments?.RetainUntil is { } retainUntil)
        {
            try
            {
                _retention.CheckWithinHorizon(retainUntil);
            }
            catch (HdsInvalidRequestException)
            {
                await _recorder.RecordAsync(entry with { Outcome = HdsAuditOutcome.Failed, Reason = "retain-until-beyond-horizon" }, throwIfNotDurable: false)
                    .ConfigureAwait(false);
                throw;
            }
        }

        entry = await AuthorizeAsync(operation, descriptor, context, key, arguments, entry, cancellationToken).ConfigureAwait(false);

        T result;
        var running = OperationContext.For(context, _audit.Node ?? "-", operation, activity);
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
            var failed = await _recorder.RecordAsync(OperationRecorder.WithSite(failedEntry, running), throwIfNotDurable: false).ConfigureAwait(false);
            _recorder.CompleteIntent(running, failed);
            if (outcome == HdsAuditOutcome.IntegrityFailure)
            {
                Log.IntegrityFailure(_logger, operation, entry.VersionId, failed?.Node, failed?.Sequence ?? 0);
            }

            throw;
        }

        try
        {
            var opened = await _recorder.RecordAsync(descriptor.Audit(OperationRecorder.WithSite(entry, running), result), throwIfNotDurable: true).ConfigureAwait(false);
            _recorder.CompleteIntent(running, opened);
            if (opened is not null && result is IOperationResult deferred)
            {
                // A download's content is verified as the caller reads it, a search's records as they are enumerated, after this
                // returns: the end is observed and its outcome recorded, linked to this record, when it is not a success.
                result = (T)deferred.ObserveEnd((outcome, reason) => _recorder.RecordFollowUp(opened, outcome, reason));
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

    // Returns the entry naming the role the operation was granted by; throws (recorded) when it is refused.
    private async Task<HdsAuditRecord> AuthorizeAsync(
        HdsOperation operation, OperationDescriptor descriptor, HdsAccessContext context, string? key, OperationArguments? arguments, HdsAuditRecord entry,
        CancellationToken cancellationToken)
    {
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
            decision = await _audit.Policy.AuthorizeAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await _recorder.RecordAsync(entry with { Outcome = HdsAuditOutcome.Failed, Reason = Classify(ex).Reason }, throwIfNotDurable: false).ConfigureAwait(false);
            throw;
        }

        if (!decision.IsAllowed)
        {
            Log.AccessDenied(_logger, operation, decision.Reason!);
            await _recorder.RecordAsync(entry with { Outcome = HdsAuditOutcome.Denied, Reason = decision.Reason }, throwIfNotDurable: false).ConfigureAwait(false);
            throw new HdsAccessDeniedException(
                $"The access policy denied this {operation} operation ({decision.Reason})."
                + (_audit.Policy is HdsDefaultAuthorizationPolicy policy ? policy.Requirements(operation) : string.Empty)
                + " Check the access context's tenant, purpose of use and roles.");
        }

        // The role a sensitive operation was granted by is the one the record names (an identity may hold several).
        return decision.GrantedBy is { } grantedBy ? entry with { Role = grantedBy } : entry;
    }

    // Resolved and validated once per operation: the cores read it from their OperationContext.
    private HdsAccessContext ResolveContext(HdsRequestOptions? options)
    {
        var context = options?.Context ?? _audit.Accessor.Current ?? HdsAccessScope.Current
            ?? throw new HdsAccessDeniedException(
                "No access context: every operation must say who acts, for which tenant and why. Pass options.Context or open an HdsAccessScope.");
        context.Validate();
        return context;
    }

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
