using Hds.Storage.Models;
namespace Hds.Storage;

/// <summary>
/// What an <see cref="HdsAuthorizationPolicy"/> decides on: one operation, by one context, on one resource, with the operation's
/// arguments (a custom policy can allow setting a legal hold but not releasing it, or cap a retention extension).
/// </summary>
/// <param name="Operation">The operation asked for.</param>
/// <param name="Context">Who asks, for which tenant and why (validated).</param>
/// <param name="ResourceTenant">
/// The tenant owning the resource; <see langword="null"/> for resources that belong to no tenant (the audit trail, the key ring).
/// </param>
/// <param name="Key">The logical object key or prefix, when the operation names one.</param>
/// <param name="VersionId">The version, when the operation names one.</param>
public sealed record HdsAuthorizationRequest(
    HdsOperation Operation,
    HdsAccessContext Context,
    string? ResourceTenant,
    string? Key,
    string? VersionId)
{
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
