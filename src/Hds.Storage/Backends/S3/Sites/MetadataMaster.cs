using Amazon.S3.Model;
using Hds.Storage.Access;
using Hds.Storage.Models;

namespace Hds.Storage.Backends.S3.Sites;

/// <summary>
/// The site holding the bucket metadata (<see cref="HdsSiteOptions.MetadataMaster"/>). Data calls fail over to any site, so a routed
/// bucket check answers from whichever site serves and says nothing of the master; this asks the master itself, so that "the master
/// is down" (bucket changes impossible, data still flowing) is told apart from "the bucket is not compliant".
/// </summary>
internal static class MetadataMaster
{
    public static async Task<HdsBucketCompliance> CheckAsync(
        SiteRouter router, HdsBucketCompliance compliance, TimeSpan requestTimeout, OperationContext? operation, CancellationToken cancellationToken)
    {
        if (router.Sites.FirstOrDefault(s => s.IsMetadataMaster) is not { } master)
        {
            return compliance;
        }

        var reachable = await ReachableAsync(router, master, requestTimeout, operation, cancellationToken).ConfigureAwait(false);
        return compliance with { MetadataMaster = master.Name, MetadataMasterReachable = reachable };
    }

    /// <summary>Whether the site answers a bucket metadata read (any S3 answer counts: it is up; only no answer is unreachable).</summary>
    public static async Task<bool> ReachableAsync(SiteRouter router, SiteEndpoint site, TimeSpan requestTimeout, OperationContext? operation, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(requestTimeout, router.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await site.Client.GetBucketVersioningAsync(ContextHeaders.On(new GetBucketVersioningRequest { BucketName = router.Bucket }, operation), linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (Amazon.S3.AmazonS3Exception ex) when ((int)ex.StatusCode is >= 400 and < 500)
        {
            return true;
        }
        catch (Exception ex) when (TransientFailures.IsTransient(ex, cancellationToken))
        {
            return false;
        }
    }
}
