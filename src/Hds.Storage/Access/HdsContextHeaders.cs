namespace Hds.Storage;

/// <summary>
/// Names of the HTTP headers carrying the pseudonymous access context: on every S3 request (so the storage's own audit log,
/// for example StorageGRID's HTRH selection, can be correlated with the SDK's audit trail) and between services
/// (Hds.Storage.AspNetCore). Values are pseudonymous ids only; the patient pseudonym never goes to the storage.
/// </summary>
public static class HdsContextHeaders
{
    /// <summary>Pseudonymous id of the actor.</summary>
    public const string Actor = "x-hds-actor";

    /// <summary>Kind of actor.</summary>
    public const string ActorKind = "x-hds-actor-kind";

    /// <summary>Role of the actor (between services only).</summary>
    public const string Role = "x-hds-role";

    /// <summary>Tenant (scheme).</summary>
    public const string Tenant = "x-hds-tenant";

    /// <summary>Purpose of use.</summary>
    public const string Purpose = "x-hds-purpose";

    /// <summary>Patient pseudonym (between services only; never sent to the storage).</summary>
    public const string PatientPseudonym = "x-hds-patient";

    /// <summary>Correlation id.</summary>
    public const string CorrelationId = "x-hds-correlation-id";

    /// <summary>Calling application.</summary>
    public const string Application = "x-hds-application";

    /// <summary>The client operation a storage request belongs to (S3 requests only), for example "Put".</summary>
    public const string Operation = "x-hds-operation";

    /// <summary>The audit node (writer chain) of the client that sent the storage request (S3 requests only).</summary>
    public const string Node = "x-hds-node";
}
