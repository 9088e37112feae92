using System.Diagnostics.CodeAnalysis;
using Hds.Storage.Models;
namespace Hds.Storage;

/// <summary>
/// What an <see cref="HdsAuthorizationPolicy"/> decides on: one operation, by one context, on one resource, with the operation's
/// arguments (a custom policy can allow setting a legal hold but not releasing it, or cap a retention extension).
/// </summary>
public sealed record HdsAuthorizationRequest
{
    /// <summary>Creates an empty HdsAuthorizationRequest, to fill with an object initializer.</summary>
    public HdsAuthorizationRequest()
    {
    }

    // The library's own construction; not public, so a property added later breaks no caller.
    [SetsRequiredMembers]
    internal HdsAuthorizationRequest(HdsOperation operation, HdsAccessContext context, string? resourceTenant, string? key, string? versionId)
    {
        Operation = operation;
        Context = context;
        ResourceTenant = resourceTenant;
        Key = key;
        VersionId = versionId;
    }

    /// <summary>The operation asked for.</summary>
    public required HdsOperation Operation { get; init; }

    /// <summary>Who asks, for which tenant and why (validated).</summary>
    public required HdsAccessContext Context { get; init; }

    /// <summary>
    /// The tenant owning the resource; <see langword="null"/> for resources that belong to no tenant (the audit trail, the key ring).
    /// </summary>
    public string? ResourceTenant { get; init; }

    /// <summary>The logical object key or prefix, when the operation names one.</summary>
    public string? Key { get; init; }

    /// <summary>The version, when the operation names one.</summary>
    public string? VersionId { get; init; }

    /// <summary>
    /// The key prefix a <see cref="HdsOperation.List"/> asks for (also in <see cref="Key"/>); empty for all objects, null for a
    /// malformed prefix (the operation then refuses it).
    /// </summary>
    public string? Prefix { get; init; }

    /// <summary>For <see cref="HdsOperation.SetLegalHold"/>: <see langword="true"/> to set the hold, <see langword="false"/> to release it.</summary>
    public bool? LegalHold { get; init; }

    /// <summary>For <see cref="HdsOperation.ExtendRetention"/>: the retain-until date asked for (already within the retention horizon).</summary>
    public DateTimeOffset? RetainUntil { get; init; }

    /// <summary>For <see cref="HdsOperation.RevokeKey"/>: the key id named (a key id, never key material).</summary>
    public string? KeyId { get; init; }
}
