namespace Hds.Storage;

/// <summary>A segment of the audit trail read by a search, export or report: what a verification statement names.</summary>
/// <param name="Node">The writer chain.</param>
/// <param name="Key">The segment's object key.</param>
/// <param name="First">Its first record's sequence.</param>
/// <param name="Last">Its last record's sequence.</param>
/// <param name="FirstTime">Its first record's time.</param>
/// <param name="LastTime">Its last record's time.</param>
/// <param name="Sha256">The SHA-256 (lowercase hex) of the segment object as read.</param>
/// <param name="Verified">Whether its records are canonical, match their hashes and link to the chain (its records are returned only then).</param>
public sealed record HdsAuditSegmentInfo(string Node, string Key, long First, long Last, DateTimeOffset FirstTime, DateTimeOffset LastTime, string Sha256, bool Verified);
