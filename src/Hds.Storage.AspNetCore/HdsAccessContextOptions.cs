namespace Hds.Storage.AspNetCore;

/// <summary>How <see cref="HdsAccessContextMiddleware"/> builds the access context of a request.</summary>
public sealed class HdsAccessContextOptions
{
    /// <summary>The claim holding the actor's pseudonymous id.</summary>
    /// <value>The default value is "sub".</value>
    public string ActorIdClaim { get; set; } = "sub";

    /// <summary>The claim holding the kind of actor; <see cref="DefaultActorKind"/> when absent.</summary>
    /// <value>The default value is "hds_actor_kind".</value>
    public string ActorKindClaim { get; set; } = "hds_actor_kind";

    /// <summary>The actor kind when the claim is absent.</summary>
    /// <value>The default value is "user".</value>
    public string DefaultActorKind { get; set; } = "user";

    /// <summary>The claim holding the role.</summary>
    /// <value>The default value is "role".</value>
    public string RoleClaim { get; set; } = "role";

    /// <summary>The claim holding the tenant (scheme).</summary>
    /// <value>The default value is "hds_tenant".</value>
    public string TenantClaim { get; set; } = "hds_tenant";

    /// <summary>The claim holding the purpose of use; then the <see cref="PurposeHeader"/>; then <see cref="DefaultPurpose"/>.</summary>
    /// <value>The default value is "hds_purpose".</value>
    public string PurposeClaim { get; set; } = "hds_purpose";

    /// <summary>A request header an authenticated user may set to declare the purpose of use; null to ignore it.</summary>
    /// <value>The default value is "x-hds-purpose".</value>
    public string? PurposeHeader { get; set; } = Access.HdsContextHeaders.Purpose;

    /// <summary>The purpose when neither claim nor header gives one; without any, the request has no context.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? DefaultPurpose { get; set; }

    /// <summary>The application name put in contexts built here.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Application { get; set; }

    /// <summary>The claim naming the authenticated calling service, for trusted callers without a signing key.</summary>
    /// <value>The default value is "client_id".</value>
    public string CallerClaim { get; set; } = "client_id";

    /// <summary>
    /// Services whose propagated contexts are accepted, by caller id. A propagated context from any other caller, with a bad
    /// or stale signature, or malformed, is refused with 403 (never silently replaced).
    /// </summary>
    /// <value>The default value is empty: propagated contexts are refused.</value>
    public IDictionary<string, HdsTrustedCaller> TrustedCallers { get; } = new Dictionary<string, HdsTrustedCaller>(StringComparer.Ordinal);

    /// <summary>How old (or how far in the future) a signed context may be.</summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan MaxSignatureAge { get; set; } = TimeSpan.FromMinutes(5);
}
