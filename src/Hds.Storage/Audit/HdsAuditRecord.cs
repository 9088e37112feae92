using Hds.Storage.Audit;
using Hds.Storage.Access;

namespace Hds.Storage.Models;

/// <summary>
/// One audit record: who (pseudonymous ids), when, what (operation, object key and version, sizes, digest), why (purpose) and
/// the result. The chain fields (<see cref="Node"/>, <see cref="Sequence"/>, <see cref="PreviousHash"/>, <see cref="Hash"/>) are
/// set by the chained audit log; docs/format.md describes the canonical serialization they are computed over.
/// </summary>
public sealed record HdsAuditRecord
{
    /// <summary>The writer chain (one per client instance and spool directory) that recorded it.</summary>
    public string? Node { get; init; }

    /// <summary>The position in the node's chain, from 1, without gaps.</summary>
    public long Sequence { get; init; }

    /// <summary>When the operation ended (UTC, from the client's <see cref="TimeProvider"/>).</summary>
    public required DateTimeOffset Time { get; init; }

    /// <summary>The operation.</summary>
    public required HdsOperation Operation { get; init; }

    /// <summary>How it ended.</summary>
    public required HdsAuditOutcome Outcome { get; init; }

    /// <summary>A short reason code for a refusal or failure (for example "no-context", "cross-tenant", "NotFound").</summary>
    public string? Reason { get; init; }

    /// <summary>Pseudonymous id of the actor; null when the call had no valid context.</summary>
    public string? ActorId { get; init; }

    /// <summary>Kind of actor.</summary>
    public string? ActorKind { get; init; }

    /// <summary>Role of the actor.</summary>
    public string? Role { get; init; }

    /// <summary>Tenant (scheme).</summary>
    public string? Tenant { get; init; }

    /// <summary>Purpose of use.</summary>
    public string? Purpose { get; init; }

    /// <summary>Patient pseudonym, when the context named one.</summary>
    public string? PatientPseudonym { get; init; }

    /// <summary>Correlation id of the business operation.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>Calling application.</summary>
    public string? Application { get; init; }

    /// <summary>The logical object key (or list prefix), when valid.</summary>
    public string? Key { get; init; }

    /// <summary>The version read, written or changed.</summary>
    public string? VersionId { get; init; }

    /// <summary>The plaintext size in bytes, when known.</summary>
    public long? Size { get; init; }

    /// <summary>The plaintext SHA-256 (lowercase hex), when known.</summary>
    public string? Sha256 { get; init; }

    /// <summary>
    /// The key-encryption key concerned, when known: the key protecting the version written, the key a rotation created, the key
    /// revoked (or asked to be); for a rewrap, the keys rewrapped, comma-separated. An id, never key material.
    /// </summary>
    public string? KeyId { get; init; }

    /// <summary>The W3C trace id of the current activity, when tracing.</summary>
    public string? TraceId { get; init; }

    /// <summary>
    /// The storage site that served the operation, when known: the site that stored a write, or served the first bytes of a
    /// read (a read that breaks may resume on another). A name from <see cref="HdsS3StorageOptions.Sites"/> ("default"
    /// for a single <see cref="HdsS3StorageOptions.ServiceUrl"/>), "local" for the embedded store.
    /// </summary>
    public string? Site { get; init; }

    /// <summary>
    /// Whether the write's answer was lost (timeout, broken connection) and the retry found the version it had stored: that
    /// version is the one recorded, and no second version was written.
    /// </summary>
    public bool FoundAfterLostAnswer { get; init; }

    /// <summary>
    /// The sequence (in the same node) of the record whose operation this record ends: a read whose content failed verification,
    /// was cancelled or was released before its end after the read had been recorded as opened gets such a follow-up record, with
    /// the same actor, correlation id, trace id, key and version. Null otherwise (record format 3).
    /// </summary>
    public long? Follows { get; init; }

    /// <summary>The legal hold state a SetLegalHold operation asked for (on or off), on every outcome (record format 3).</summary>
    public bool? LegalHold { get; init; }

    /// <summary>The retain-until date an ExtendRetention operation asked for, on every outcome (record format 3).</summary>
    public DateTimeOffset? RetainUntilRequested { get; init; }

    /// <summary>
    /// The retain-until date the storage reports after the operation: after ExtendRetention, SetLegalHold and Put, as read back
    /// (record format 3).
    /// </summary>
    public DateTimeOffset? RetainUntil { get; init; }

    /// <summary>The hash of the previous record of the chain (64 zeros for the first).</summary>
    public string? PreviousHash { get; init; }

    /// <summary>This record's SHA-256 over its canonical serialization (lowercase hex).</summary>
    public string? Hash { get; init; }

    /// <summary>The record as one JSON line, in the canonical form it is stored and hashed in (docs/format.md).</summary>
    /// <returns>The JSON text, without a newline.</returns>
    public string ToJsonLine() => System.Text.Encoding.UTF8.GetString(AuditRecordCodec.ToLine(this));
}
