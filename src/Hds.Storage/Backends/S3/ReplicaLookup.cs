using System.Net;
using Amazon.S3;
using Hds.Storage.Diagnostics;
using Hds.Storage.Backends.S3.Sites;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.Backends.S3;

/// <summary>
/// Reads of a given version id under replication lag. The version comes from a receipt, so it was stored somewhere; the site that
/// serves a read may not have it yet when the sites replicate asynchronously. A "not found" from the routed read therefore asks
/// every site directly, again with growing pauses, until one has it (that site serves the read) or the bound passes: then the
/// version is not found when every site said so in the last round, and "not replicated" (<see cref="HdsNotReplicatedException"/>)
/// when some site could not be asked and may hold it. Other answers (403, 5xx after failover) end the read as the router's would.
/// </summary>
internal static class ReplicaLookup
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxPause = TimeSpan.FromSeconds(1);

    public static async Task<T> ReadVersionAsync<T>(
        SiteRouter router, Func<SiteEndpoint, CancellationToken, Task<T>> call, TimeSpan bound, TimeSpan requestTimeout, TimeProvider time, ILogger logger,
        CancellationToken cancellationToken)
    {
        AmazonS3Exception notFound;
        try
        {
            return await router.ExecuteAsync(SiteAccess.Read, call, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception ex) when (IsNotFound(ex))
        {
            notFound = ex;
        }

        // Every site asked directly: a "not found" there means "not there (yet)", asked again until the bound.
        var found = await FindOnAnySiteAsync(
            router, "The version",
            async (site, token) =>
            {
                try
                {
                    return new Found<T>(await call(site, token).ConfigureAwait(false));
                }
                catch (AmazonS3Exception ex) when (IsNotFound(ex))
                {
                    return null;
                }
            },
            bound, requestTimeout, time, logger, cancellationToken, notFound).ConfigureAwait(false);
        return found is null
            ? throw notFound // every site answered: the version does not exist (the caller maps it to not found)
            : found.Value;
    }

    /// <summary>
    /// The first site's answer that <paramref name="lookup"/> accepts (non-null), asking every site directly, again with growing
    /// pauses, within <paramref name="bound"/>. Null when every site answered without it in the last round;
    /// <see cref="HdsNotReplicatedException"/> when some site could not be asked (it may hold what the others lack).
    /// </summary>
    public static async Task<T?> FindOnAnySiteAsync<T>(
        SiteRouter router, string what, Func<SiteEndpoint, CancellationToken, Task<T?>> lookup, TimeSpan bound, TimeSpan requestTimeout, TimeProvider time,
        ILogger logger, CancellationToken cancellationToken, Exception? notFound = null)
        where T : class
    {
        var started = time.GetTimestamp();
        var pause = FirstPause;
        while (true)
        {
            var unreachable = new List<string>();
            foreach (var site in router.Sites)
            {
                using var deadline = new CancellationTokenSource(requestTimeout, time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
                try
                {
                    if (await lookup(site, linked.Token).ConfigureAwait(false) is { } found)
                    {
                        var waited = time.GetElapsedTime(started);
                        Log.VersionFoundOnAnotherSite(logger, site.Name, waited);
                        return found;
                    }
                }
                catch (Exception ex) when (TransientFailures.IsTransient(ex, cancellationToken))
                {
                    unreachable.Add(site.Name);
                }
            }

            var left = bound - time.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                return unreachable.Count == 0
                    ? null
                    : throw new HdsNotReplicatedException(
                        $"{what} is on none of the storage sites that answered within {bound.TotalSeconds:0.#} s, and {string.Join(", ", unreachable)} "
                        + "could not be reached: it may be there, not yet replicated to the others. Retry later.", notFound);
            }

            await Task.Delay(pause < left ? pause : left, time, cancellationToken).ConfigureAwait(false);
            pause = pause * 2 < MaxPause ? pause * 2 : MaxPause;
        }
    }

    // A read's answer, boxed so that a found value is told from "not there" whatever T is.
    private sealed record Found<T>(T Value);

    private static bool IsNotFound(AmazonS3Exception ex) =>
        ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode is not "NoSuchBucket";
}
