namespace Hds.Storage;

/// <summary>A signed checkpoint read by a search, export or report.</summary>
/// <param name="Node">The writer chain.</param>
/// <param name="Sequence">The last record it covers.</param>
/// <param name="Key">Its object key.</param>
/// <param name="Sha256">The SHA-256 (lowercase hex) of the checkpoint object (the DER bytes).</param>
/// <param name="SignedAt">When it was signed (from its signed payload).</param>
/// <param name="Valid">Whether its signature verifies with a trusted certificate.</param>
public sealed record HdsAuditCheckpointInfo(string Node, long Sequence, string Key, string Sha256, DateTimeOffset? SignedAt, bool Valid);
