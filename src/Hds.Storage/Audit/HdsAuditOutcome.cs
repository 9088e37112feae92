using System.Text.Json.Serialization;

namespace Hds.Storage.Audit;

/// <summary>How an audited operation ended. Values are stable (audit records store the name); serialized by name ("Succeeded").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HdsAuditOutcome>))]
public enum HdsAuditOutcome
{
    /// <summary>Allowed and completed.</summary>
    Succeeded = 0,

    /// <summary>Refused: no or invalid access context, denied by the policy, or refused by the storage's credentials.</summary>
    Denied = 1,

    /// <summary>Allowed but failed (invalid request, storage error, locked object, cancellation).</summary>
    Failed = 2,

    /// <summary>The data read was not the data written (or the audit trail did not verify).</summary>
    IntegrityFailure = 3,

    /// <summary>The object or version does not exist.</summary>
    NotFound = 4,
}
