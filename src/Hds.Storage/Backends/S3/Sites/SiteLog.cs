using Microsoft.Extensions.Logging;

namespace Hds.Storage.Backends.S3.Sites;

/// <summary>The site router's log messages that name a site access (event ids in the library's one numbering, see Diagnostics/Log.cs).</summary>
internal static partial class SiteLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Warning,
        Message = "Site {Site} failed a {Access} call ({Failure}); trying {Next} until the failover timeout.")]
    public static partial void SiteCallFailed(ILogger logger, string site, SiteAccess access, string failure, string next);

    // The same site failing again within one operation: said once at Warning (event 200), then here, so that one unreachable site
    // does not flood the log with a warning per retry.
    [LoggerMessage(EventId = 212, Level = LogLevel.Debug, Message = "Site {Site} failed a {Access} call again ({Failure}).")]
    public static partial void SiteCallFailedAgain(ILogger logger, string site, SiteAccess access, string failure);

    [LoggerMessage(EventId = 204, Level = LogLevel.Error,
        Message = "No site served a {Access} call within the failover timeout {Timeout} ({Attempts} attempts); the operation failed and left nothing partial.")]
    public static partial void AllSitesUnavailable(ILogger logger, SiteAccess access, TimeSpan timeout, int attempts);

    [LoggerMessage(EventId = 215, Level = LogLevel.Information,
        Message = "Replication lag monitor started: a probe every {Interval} under {Key}, awaited for {Timeout} on each other site.")]
    public static partial void LagMonitorStarted(ILogger logger, TimeSpan interval, string key, TimeSpan timeout);

    [LoggerMessage(EventId = 216, Level = LogLevel.Warning,
        Message = "Site {Site} did not show the replication probe within {Timeout} ({Reason}); the health check reports it degraded.")]
    public static partial void LagProbeNotSeen(ILogger logger, string site, TimeSpan timeout, string reason);

    [LoggerMessage(EventId = 217, Level = LogLevel.Information, Message = "Site {Site} shows the replication probes again (lag {Lag}).")]
    public static partial void LagProbeSeenAgain(ILogger logger, string site, TimeSpan lag);

    [LoggerMessage(EventId = 218, Level = LogLevel.Warning,
        Message = "Site {Site} served the replication probe without its object lock: replicas there do not carry their lock.")]
    public static partial void LagProbeUnlocked(ILogger logger, string site);

    [LoggerMessage(EventId = 219, Level = LogLevel.Warning,
        Message = "The replication probe could not be written on any writable site ({Failure}); the lag is not measured until one takes it.")]
    public static partial void LagProbeNotWritten(ILogger logger, string failure);
}
