namespace Hds.Storage.Diagnostics;

/// <summary>Names of the SDK's telemetry sources, for OpenTelemetry configuration (<c>AddMeter(HdsStorageTelemetry.MeterName)</c>).</summary>
public static class HdsStorageTelemetry
{
    /// <summary>The name of the SDK's <see cref="System.Diagnostics.Metrics.Meter"/>: site failovers, circuit states, per-site latency.</summary>
    public const string MeterName = "Hds.Storage";
}
