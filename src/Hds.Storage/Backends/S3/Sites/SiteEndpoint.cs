using Amazon.S3;
using Polly;
using Polly.CircuitBreaker;

namespace Hds.Storage.Backends.S3.Sites;

/// <summary>One site at run time: its S3 client, its circuit breaker and what the probe and the traffic last saw of it.</summary>
internal sealed class SiteEndpoint : IDisposable
{
    private long _reads;
    private long _writes;
    private int _suspect;


    public SiteEndpoint(
        HdsSiteOptions options, int rank, AmazonS3Client client, ResiliencePipeline pipeline, CircuitBreakerStateProvider state, CircuitBreakerManualControl control)
    {
        Name = options.Name;
        ServiceUrl = options.ServiceUrl!;
        ReadOnly = options.ReadOnly;
        IsMetadataMaster = options.MetadataMaster;
        Rank = rank;
        Client = client;
        Pipeline = pipeline;
        State = state;
        Control = control;
    }

    public string Name { get; }

    public Uri ServiceUrl { get; }

    public bool ReadOnly { get; }

    /// <summary>Whether the site holds the bucket metadata (<see cref="HdsSiteOptions.MetadataMaster"/>).</summary>
    public bool IsMetadataMaster { get; }

    /// <summary>Position in preference order (0 = preferred).</summary>
    public int Rank { get; }

    public AmazonS3Client Client { get; }

    public ResiliencePipeline Pipeline { get; }

    public CircuitBreakerStateProvider State { get; }

    public CircuitBreakerManualControl Control { get; }

    /// <summary>Calls that succeeded on this site (tests and health reports read it).</summary>
    public long Requests => Reads + Writes;

    /// <summary>Read calls that succeeded on this site.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Write calls that succeeded on this site.</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>Set when a call or the probe failed on this site; cleared by the next success. Suspect sites are tried last.</summary>
    public bool Suspect => Volatile.Read(ref _suspect) != 0;

    /// <summary>Latency of the last probe, or null when it failed or never ran.</summary>
    public TimeSpan? LastProbeLatency { get; set; }

    public string? LastProbeError { get; set; }

    /// <summary>Marks the site suspect; returns whether it was not already.</summary>
    public bool MarkSuspect() => Interlocked.Exchange(ref _suspect, 1) == 0;

    /// <summary>Marks the site healthy; returns whether it was suspect.</summary>
    public bool MarkHealthy() => Interlocked.Exchange(ref _suspect, 0) != 0;

    public void CountRequest(SiteAccess access) => Interlocked.Increment(ref access == SiteAccess.Read ? ref _reads : ref _writes);

    public void Dispose()
    {
        Client.Dispose();
    }
}
