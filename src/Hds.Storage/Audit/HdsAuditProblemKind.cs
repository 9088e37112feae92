using System.Text.Json.Serialization;

namespace Hds.Storage.Models;

/// <summary>What verification found wrong in the audit trail; serialized by name ("RecordAltered").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HdsAuditProblemKind>))]
public enum HdsAuditProblemKind
{
    /// <summary>A record's content does not match its hash, or is not in canonical form.</summary>
    RecordAltered = 0,

    /// <summary>Records are missing: a gap in the sequence (a removed record or segment).</summary>
    RecordMissing = 1,

    /// <summary>A record is out of order or repeated.</summary>
    RecordReordered = 2,

    /// <summary>A record does not link to its predecessor's hash: a record was inserted or replaced.</summary>
    ChainBroken = 3,

    /// <summary>A segment cannot be read or parsed, or its name does not match its records.</summary>
    SegmentInvalid = 4,

    /// <summary>An object under the audit prefix that the log never writes (an inserted object).</summary>
    UnexpectedObject = 5,

    /// <summary>A checkpoint's signature is invalid or its signer is not trusted.</summary>
    CheckpointInvalid = 6,

    /// <summary>A checkpoint does not match the chain (head hash, node, sequence) or the previous checkpoint.</summary>
    CheckpointMismatch = 7,

    /// <summary>Records known to have been uploaded (by a checkpoint or the local spool) are no longer stored.</summary>
    TailMissing = 8,

    /// <summary>A delete marker hides a segment or checkpoint from listings (the log never deletes): records hidden.</summary>
    ObjectHidden = 9,

    /// <summary>A segment or checkpoint key holds more than one version (the log writes each key once): a rewrite.</summary>
    ObjectRewritten = 10,

    /// <summary>A writer node whose first records no checkpoint signed by a trusted certificate vouches for: a forged writer.</summary>
    NodeNotEnrolled = 11,

    /// <summary>Records stored longer ago than the grace period that no signed checkpoint covers.</summary>
    CheckpointMissing = 12,
}
