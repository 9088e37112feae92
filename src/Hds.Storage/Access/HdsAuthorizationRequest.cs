namespace Hds.Storage.Access;

/// <summary>What an <see cref="HdsAuthorizationPolicy"/> decides on: one operation, by one context, on one resource.</summary>
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
    string? VersionId);
