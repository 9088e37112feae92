using System.Diagnostics.CodeAnalysis;
namespace Hds.Storage;

/// <summary>A segment of the audit trail read by a search, export or report: what a verification statement names.</summary>
public sealed record HdsAuditSegmentInfo
{
    /// <summary>Creates an empty HdsAuditSegmentInfo, to fill with an object initializer.</summary>
    public HdsAuditSegmentInfo()
    {
    }

    // The library's own construction; not public, so a property added later breaks no caller.
    [SetsRequiredMembers]
    internal HdsAuditSegmentInfo(string node, string key, long first, long last, DateTimeOffset firstTime, DateTimeOffset lastTime, string sha256, bool verified)
    {
        Node = node;
        Key = key;
        First = first;
        Last = last;
        FirstTime = firstTime;
        LastTime = lastTime;
        Sha256 = sha256;
        Verified = verified;
    }

    /// <summary>The writer chain.</summary>
    public required string Node { get; init; }

    /// <summary>The segment's object key.</summary>
    public required string Key { get; init; }

    /// <summary>Its first record's sequence.</summary>
    public required long First { get; init; }

    /// <summary>Its last record's sequence.</summary>
    public required long Last { get; init; }

    /// <summary>Its first record's time.</summary>
    public required DateTimeOffset FirstTime { get; init; }

    /// <summary>Its last record's time.</summary>
    public required DateTimeOffset LastTime { get; init; }

    /// <summary>The SHA-256 (lowercase hex) of the segment object as read.</summary>
    public required string Sha256 { get; init; }

    /// <summary>Whether its records are canonical, match their hashes and link to the chain (its records are returned only then).</summary>
    public required bool Verified { get; init; }

    /// <summary>
    /// Whether the segment is covered by no signed checkpoint yet but was stored less than the grace period ago
    /// (<c>HdsAuditOptions.CheckpointGracePeriod</c>): its records are chained and verified, and returned, but not yet vouched for by their
    /// writer's signature. Records appended to a chain by a holder of the bucket's credentials look the same until the grace period ends
    /// (then <c>CheckpointMissing</c>, and their records are no longer returned), so a report naming such records says they await their
    /// checkpoint.
    /// </summary>
    public bool AwaitingCheckpoint { get; init; }
}
