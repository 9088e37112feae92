using System.Diagnostics.CodeAnalysis;
namespace Hds.Storage;

/// <summary>A signed checkpoint read by a search, export or report.</summary>
public sealed record HdsAuditCheckpointInfo
{
    /// <summary>Creates an empty HdsAuditCheckpointInfo, to fill with an object initializer.</summary>
    public HdsAuditCheckpointInfo()
    {
    }

    // The library's own construction; not public, so a property added later breaks no caller.
    [SetsRequiredMembers]
    internal HdsAuditCheckpointInfo(string node, long sequence, string key, string sha256, DateTimeOffset? signedAt, bool valid)
    {
        Node = node;
        Sequence = sequence;
        Key = key;
        Sha256 = sha256;
        SignedAt = signedAt;
        Valid = valid;
    }

    /// <summary>The writer chain.</summary>
    public required string Node { get; init; }

    /// <summary>The last record it covers.</summary>
    public required long Sequence { get; init; }

    /// <summary>Its object key.</summary>
    public required string Key { get; init; }

    /// <summary>The SHA-256 (lowercase hex) of the checkpoint object (the DER bytes).</summary>
    public required string Sha256 { get; init; }

    /// <summary>When it was signed (from its signed payload).</summary>
    public DateTimeOffset? SignedAt { get; init; }

    /// <summary>Whether its signature verifies with a trusted certificate.</summary>
    public required bool Valid { get; init; }
}
