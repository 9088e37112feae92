using System.Text.Json.Serialization;

namespace Hds.Storage.Models;

/// <summary>How an audited operation ended. Values are stable (audit records store the name); serialized by name ("Succeeded").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HdsAuditOutcome>))]
public enum HdsAuditOutcome
{
    /// <summary>Allowed and completed.</summary>
    Succeeded = 0,

    /// <summary>Refused: no or invalid access context, denied by the policy, or refused by the storage's credentials.</summary>
    Denied = 1,

    /// <summary>Allowed but failed (invalid request, storage error, locked object).</summary>
    Failed = 2,

    /// <summary>The data read was not the data written (or the audit trail did not verify).</summary>
    IntegrityFailure = 3,

    /// <summary>The object or version does not exist.</summary>
    NotFound = 4,

    /// <summary>Cancelled by the caller, before the operation completed or while its content was being read (record format 3).</summary>
    Cancelled = 5,

    /// <summary>The content of a read was released (disposed) before its end: the verification of the rest never ran (record format 3).</summary>
    Incomplete = 6,
}
