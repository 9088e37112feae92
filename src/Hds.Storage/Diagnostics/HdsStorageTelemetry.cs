using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;

namespace Hds.Storage;

/// <summary>
/// The names under which Hds.Storage publishes traces and metrics, to subscribe to with OpenTelemetry
/// (<c>AddSource(HdsStorageTelemetry.ActivitySourceName)</c>, <c>AddMeter(HdsStorageTelemetry.MeterName)</c>) or any
/// <see cref="ActivityListener"/> / <see cref="MeterListener"/>. Every operation of <see cref="HdsStorageClient"/> is one activity
/// ("hds.put", "hds.get", …) nested under the caller's current activity. Tags carry pseudonymous ids, operation names, outcomes and
/// sizes only: never object keys, metadata or content.
/// </summary>
public static class HdsStorageTelemetry
{
    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/>: "Hds.Storage".</summary>
    public const string ActivitySourceName = "Hds.Storage";

    /// <summary>The name of the <see cref="System.Diagnostics.Metrics.Meter"/>: "Hds.Storage".</summary>
    public const string MeterName = "Hds.Storage";

    private static readonly string? Version = typeof(HdsStorageTelemetry).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;

    // The one ActivitySource and the one Meter of the library (other features add their instruments to this Meter).
    internal static readonly ActivitySource Source = new(ActivitySourceName, Version);

    internal static readonly Meter Meter = new(MeterName, Version);

    /// <summary>Duration of each operation, tagged hds.operation and hds.outcome.</summary>
    internal static readonly Histogram<double> OperationDuration = Meter.CreateHistogram<double>(
        "hds.operation.duration", unit: "s", description: "Duration of Hds.Storage operations.",
        tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    /// <summary>Plaintext bytes stored (per successful write).</summary>
    internal static readonly Counter<long> BytesWritten = Meter.CreateCounter<long>("hds.bytes.written", "By", "Plaintext bytes stored.");

    /// <summary>Verified plaintext bytes returned to callers or checked by Verify.</summary>
    internal static readonly Counter<long> BytesRead = Meter.CreateCounter<long>("hds.bytes.read", "By", "Verified plaintext bytes read.");

    /// <summary>Integrity failures: stored data that did not verify (tampering, corruption, truncation, receipt mismatch, audit trail).</summary>
    internal static readonly Counter<long> IntegrityFailures = Meter.CreateCounter<long>(
        "hds.integrity.failures", "{failure}", "Reads, verifications and audit verifications that detected altered or missing data.");

    private static readonly ConcurrentDictionary<object, Func<(string Node, int Pending)>> AuditSpools = new();

    /// <summary>Audit records made durable in a local spool but not yet uploaded to the store, per audit node.</summary>
    internal static readonly ObservableGauge<int> AuditPending = Meter.CreateObservableGauge(
        "hds.audit.pending", ObserveAuditPending, "{record}", "Audit records spooled locally and not yet uploaded to the storage (audit lag).");

    /// <summary>Starts observing an audit spool's backlog (<see cref="AuditPending"/>).</summary>
    internal static void TrackAuditSpool(object owner, Func<(string Node, int Pending)> observe) => AuditSpools[owner] = observe;

    /// <summary>Stops observing an audit spool.</summary>
    internal static void UntrackAuditSpool(object owner) => AuditSpools.TryRemove(owner, out _);

    private static IEnumerable<Measurement<int>> ObserveAuditPending()
    {
        foreach (var observe in AuditSpools.Values)
        {
            (string Node, int Pending) value;
            try
            {
                value = observe();
            }
            catch (ObjectDisposedException)
            {
                continue;
            }

            yield return new Measurement<int>(value.Pending, new KeyValuePair<string, object?>("hds.audit.node", value.Node));
        }
    }
}
