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
}
