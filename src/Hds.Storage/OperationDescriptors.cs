using System.Collections.Frozen;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Keys;
using Hds.Storage.Models;

// The root namespace, like the client shell: the table names the results of every feature (models, audit, key ring).
namespace Hds.Storage;

/// <summary>What an operation acts on: the context tenant's objects, or something bucket-wide that no tenant owns.</summary>
internal enum OperationResource
{
    /// <summary>The objects of the context's tenant (the policy sees the tenant as the resource's).</summary>
    TenantObjects,

    /// <summary>The audit trail of the bucket (decided by purpose and role).</summary>
    AuditTrail,

    /// <summary>The key ring of the bucket (decided by purpose and role, and run from the operating tenant only).</summary>
    KeyRing,
}

/// <summary>
/// One operation as the client runs it (issue 15): its span name, what it acts on, the purpose and role it needs by default, how
/// its key argument is read, and which facts of its result its audit record names. One table for every operation instead of
/// switches spread over the telemetry, the client and the policy.
/// </summary>
/// <param name="Operation">The operation.</param>
/// <param name="SpanName">The activity's name, OpenTelemetry style ("hds.put").</param>
/// <param name="Resource">What it acts on.</param>
/// <param name="Purpose">The only purpose it allows by default (<see cref="HdsAuthorizationOptions.AllowedPurposes"/>); null: any.</param>
/// <param name="Role">The role it needs by default (<see cref="HdsAuthorizationOptions.RequiredRoles"/>); null: any identity of the tenant.</param>
internal sealed record OperationDescriptor(HdsOperation Operation, string SpanName, OperationResource Resource, string? Purpose = null, string? Role = null)
{
    /// <summary>The key argument is a prefix (a listing), validated as one.</summary>
    public bool KeyIsPrefix { get; init; }

    /// <summary>The facts of the operation's result its audit record names (version, size, digest, key id, lock…).</summary>
    public Func<HdsAuditRecord, object?, HdsAuditRecord> Audit { get; init; } = static (entry, _) => entry;

    /// <summary>Bucket-wide: the policy sees no resource tenant.</summary>
    public bool IsBucketWide => Resource is not OperationResource.TenantObjects;

    /// <summary>A key-ring operation (the operating tenant only).</summary>
    public bool IsKeyRing => Resource is OperationResource.KeyRing;
}

/// <summary>The descriptor of every operation.</summary>
internal static class OperationDescriptors
{
    private static readonly FrozenDictionary<HdsOperation, OperationDescriptor> Table = new OperationDescriptor[]
    {
        new(HdsOperation.CheckBucket, "hds.check_bucket", OperationResource.TenantObjects),
        new(HdsOperation.Put, "hds.put", OperationResource.TenantObjects) { Audit = Facts<HdsStorageReceipt>(OfReceipt) },
        new(HdsOperation.Get, "hds.get", OperationResource.TenantObjects) { Audit = Facts<HdsDownload>((e, d) => e with { VersionId = d.Properties.VersionId }) },
        new(HdsOperation.Verify, "hds.verify", OperationResource.TenantObjects)
        {
            Audit = Facts<HdsVerificationResult>((e, v) => e with { VersionId = v.VersionId, Size = v.Size, Sha256 = v.Sha256 }),
        },
        new(HdsOperation.GetProperties, "hds.get_properties", OperationResource.TenantObjects) { Audit = Facts<HdsObjectProperties>((e, p) => e with { VersionId = p.VersionId }) },
        new(HdsOperation.List, "hds.list", OperationResource.TenantObjects) { KeyIsPrefix = true },
        new(HdsOperation.GetVersions, "hds.get_versions", OperationResource.TenantObjects),
        new(HdsOperation.Delete, "hds.delete", OperationResource.TenantObjects) { Audit = Facts<HdsDeleteResult>((e, d) => e with { VersionId = d.DeleteMarkerVersionId }) },
        new(HdsOperation.SetLegalHold, "hds.set_legal_hold", OperationResource.TenantObjects, HdsAuthorizationOptions.LegalHoldPurpose, HdsAuthorizationOptions.LegalRole)
        {
            Audit = Facts<HdsObjectProperties>((e, p) => e with { VersionId = p.VersionId, RetainUntil = p.Retention.RetainUntil, LegalHold = p.Retention.LegalHold }),
        },
        new(HdsOperation.ExtendRetention, "hds.extend_retention", OperationResource.TenantObjects, HdsAuthorizationOptions.RetentionPurpose, HdsAuthorizationOptions.LegalRole)
        {
            Audit = Facts<HdsObjectProperties>((e, p) => e with { VersionId = p.VersionId, RetainUntil = p.Retention.RetainUntil }),
        },
        new(HdsOperation.VerifyAudit, "hds.verify_audit", OperationResource.AuditTrail, HdsAuthorizationOptions.AuditPurpose, HdsAuthorizationOptions.AuditorRole)
        {
            Audit = Facts<HdsAuditVerificationResult>((e, r) => r.IsValid ? e : e with { Outcome = HdsAuditOutcome.IntegrityFailure, Reason = "audit-trail-invalid" }),
        },
        new(HdsOperation.ReadAudit, "hds.read_audit", OperationResource.AuditTrail, HdsAuthorizationOptions.AuditPurpose, HdsAuthorizationOptions.AuditorRole),
        new(HdsOperation.ListKeys, "hds.list_keys", OperationResource.KeyRing, HdsAuthorizationOptions.KeyManagementPurpose, HdsAuthorizationOptions.KeyAdminRole),
        new(HdsOperation.RotateKey, "hds.rotate_key", OperationResource.KeyRing, HdsAuthorizationOptions.KeyManagementPurpose, HdsAuthorizationOptions.KeyAdminRole)
        {
            Audit = Facts<HdsKeyRingEntry>((e, k) => e with { KeyId = k.Id }),
        },
        new(HdsOperation.RevokeKey, "hds.revoke_key", OperationResource.KeyRing, HdsAuthorizationOptions.KeyManagementPurpose, HdsAuthorizationOptions.KeyAdminRole)
        {
            Audit = Facts<HdsKeyRingEntry>((e, k) => e with { KeyId = k.Id }),
        },
        new(HdsOperation.RewrapKeys, "hds.rewrap_keys", OperationResource.KeyRing, HdsAuthorizationOptions.KeyManagementPurpose, HdsAuthorizationOptions.KeyAdminRole)
        {
            Audit = Facts<IReadOnlyList<HdsKeyRingEntry>>((e, rewrapped) => rewrapped.Count > 0 ? e with { KeyId = string.Join(',', rewrapped.Select(k => k.Id)) } : e),
        },
        new(HdsOperation.PropagatedContext, "hds.propagated_context", OperationResource.TenantObjects),
    }.ToFrozenDictionary(d => d.Operation);

    /// <summary>Every descriptor.</summary>
    public static IEnumerable<OperationDescriptor> All => Table.Values.OrderBy(d => d.Operation);

    /// <summary>The descriptor of <paramref name="operation"/> (a neutral one for a value the table does not know).</summary>
    public static OperationDescriptor For(HdsOperation operation) =>
        Table.TryGetValue(operation, out var descriptor) ? descriptor : new(operation, "hds.operation", OperationResource.TenantObjects);

    /// <summary>What a stored write's record names: the version, sizes, digest, key id and lock (also for a write not geo-durable).</summary>
    public static HdsAuditRecord OfReceipt(HdsAuditRecord entry, HdsStorageReceipt receipt) =>
        entry with { VersionId = receipt.VersionId, Size = receipt.Size, Sha256 = receipt.Sha256, KeyId = receipt.KeyId, RetainUntil = receipt.RetainUntil };

    private static Func<HdsAuditRecord, object?, HdsAuditRecord> Facts<T>(Func<HdsAuditRecord, T, HdsAuditRecord> facts) =>
        (entry, result) => result is T typed ? facts(entry, typed) : entry;
}
