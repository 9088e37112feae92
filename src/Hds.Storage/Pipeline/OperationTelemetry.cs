using System.Diagnostics;
using Hds.Storage.Diagnostics;
using Hds.Storage.Models;

namespace Hds.Storage.Pipeline;

/// <summary>
/// The outer hop of the pipeline: one activity per operation (nested under the caller's), the duration histogram and the byte and
/// integrity counters (<see cref="HdsStorageTelemetry"/>). Each signal costs nothing when nobody listens (StartActivity returns
/// null, instruments are disabled). What a result contributes (its size, the bytes it moved, content read later) it says itself,
/// through <see cref="IOperationResult"/>.
/// </summary>
internal sealed class OperationTelemetry(TimeProvider time)
{
    /// <summary>Runs <paramref name="audited"/> (given the operation's activity, null when nobody listens) under the operation's span and metrics.</summary>
    public async Task<T> TraceAsync<T>(HdsOperation operation, Func<Activity?, Task<T>> audited)
    {
        var activity = HdsStorageTelemetry.Source.StartActivity(OperationDescriptors.For(operation).SpanName, ActivityKind.Internal);
        var timed = activity is not null || HdsStorageTelemetry.OperationDuration.Enabled;
        var started = timed ? time.GetTimestamp() : 0;
        var operationName = operation.ToString();
        activity?.SetTag("hds.operation", operationName);
        try
        {
            var result = await audited(activity).ConfigureAwait(false);
            var facts = result as IOperationResult;
            var outcome = facts?.IsIntegrityFailure == true ? HdsAuditOutcome.IntegrityFailure : HdsAuditOutcome.Succeeded;
            Complete(activity, operationName, outcome, null, facts?.Size, timed ? time.GetElapsedTime(started) : default);
            var operationTag = new KeyValuePair<string, object?>("hds.operation", operationName);
            if (facts?.BytesWritten is { } written)
            {
                HdsStorageTelemetry.BytesWritten.Add(written, operationTag);
            }

            if (facts?.BytesRead is { } read)
            {
                HdsStorageTelemetry.BytesRead.Add(read, operationTag);
            }

            if (facts is not null && (HdsStorageTelemetry.BytesRead.Enabled || HdsStorageTelemetry.IntegrityFailures.Enabled))
            {
                // Content verified as the caller reads it, after this returns: counted there.
                return (T)facts.WrapContent(content => new MeteredReadStream(content, operationName));
            }

            return result;
        }
        catch (Exception ex)
        {
            var (outcome, _) = OperationPipeline.Classify(ex);
            var errorType = ex is HdsStorageException hds ? hds.ErrorCode.ToString() : ex is OperationCanceledException ? "Cancelled" : ex.GetType().Name;
            Complete(activity, operationName, outcome, errorType, null, timed ? time.GetElapsedTime(started) : default);
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
}
