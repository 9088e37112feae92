using System.Text.Json.Serialization;

namespace Hds.Storage.Models;

/// <summary>
/// Every operation of <see cref="HdsStorageClient"/>: what the authorization policy decides on and what the audit trail records.
/// Values are stable (audit records store the name). Serialized by System.Text.Json by name ("Put"), so audit records returned from
/// web APIs read the same as those of <c>hds audit tail</c>.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<HdsOperation>))]
public enum HdsOperation
{
    /// <summary>Checks the bucket's versioning and object lock.</summary>
    CheckBucket = 0,

    /// <summary>Stores a new version.</summary>
    Put = 1,

    /// <summary>Reads a version's content.</summary>
    Get = 2,

    /// <summary>Reads and verifies a version without returning its content.</summary>
    Verify = 3,

    /// <summary>Reads a version's properties (head).</summary>
    GetProperties = 4,

    /// <summary>Lists objects.</summary>
    List = 5,

    /// <summary>Lists the versions of an object.</summary>
    GetVersions = 6,

    /// <summary>Adds a delete marker.</summary>
    Delete = 7,

    /// <summary>Turns a legal hold on or off.</summary>
    SetLegalHold = 8,

    /// <summary>Extends a retention.</summary>
    ExtendRetention = 9,

    // 10 was ManageKeys, never recorded: each key-ring operation has its own value below (the trail tells a rotation from a
    // revocation, and the policy can allow one without the other). Not reused.

    /// <summary>Verifies the audit trail.</summary>
    VerifyAudit = 11,

    /// <summary>Reads audit records.</summary>
    ReadAudit = 12,

    /// <summary>Lists the key ring's keys (no key material).</summary>
    ListKeys = 13,

    /// <summary>Creates a new key-encryption key, used by new writes from now on.</summary>
    RotateKey = 14,

    /// <summary>Revokes a key-encryption key (irreversible): objects under it are refused on read.</summary>
    RevokeKey = 15,

    /// <summary>Re-encrypts the key ring's entries to the configured certificates.</summary>
    RewrapKeys = 16,

    /// <summary>
    /// An access context propagated by another service and refused before any operation (replayed, forged, stale or malformed):
    /// recorded by <see cref="HdsStorageClient.RecordRefusedPropagatedContextAsync"/>, never allowed.
    /// </summary>
    PropagatedContext = 17,
}
