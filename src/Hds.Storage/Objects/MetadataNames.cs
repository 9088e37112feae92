namespace Hds.Storage.Objects;

/// <summary>
/// Names of the user metadata the SDK stores with each object (sent as x-amz-meta-*). Metadata is NOT encrypted: only format
/// facts and pseudonymous ids go there, never health data. Nothing read from it is trusted for security decisions.
/// </summary>
internal static class MetadataNames
{
    public const string Format = "hds-format";
    public const string KeyId = "hds-key-id";
    public const string RetentionClass = "hds-class";
    public const string Writer = "hds-writer";

    /// <summary>Format 2: the write id sealed in the header (hex), so that bytes of another write under this version are refused.</summary>
    public const string WriteId = "hds-write-id";
    public const string AuditFormat = "hds-audit";

    /// <summary>The audit intent announced before the write was sent: after a crash, the spool finds the version it stored by it.</summary>
    public const string AuditIntent = "hds-intent";


    /// <summary>A random id per write attempt: finds the version stored by a write whose answer was lost (no duplicate on retry).</summary>
    public const string Attempt = "hds-attempt";

    /// <summary>
    /// The lock the write asked for (<c>COMPLIANCE 2046-12-01T14:13:00Z</c>), so a site serving the version can check that it holds at
    /// least that (Backends/S3/ServedLock.cs): replicas do not always carry it.
    /// </summary>
    public const string Lock = "hds-lock";
}
