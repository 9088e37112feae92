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

    /// <summary>
    /// The claim holding the identity's roles, one claim per role (<see cref="HdsAccessContext.Roles"/>; the first is the
    /// recorded <see cref="HdsAccessContext.Role"/>). The default policy grants the audit trail to "auditor", the key ring to
    /// "key-admin" and legal holds and retention extensions to "legal".
    /// </summary>
    /// <value>The default value is "role".</value>
    public string RoleClaim { get; set; } = "role";

    /// <summary>The claim holding the tenant (scheme).</summary>
    /// <value>The default value is "hds_tenant".</value>
    public string TenantClaim { get; set; } = "hds_tenant";

    /// <summary>
    /// The claim holding the identity's usual purpose of use: used when the request's <see cref="PurposeHeader"/> chooses none, and
    /// one of the purposes the identity may declare.
    /// </summary>
    /// <value>The default value is "hds_purpose".</value>
    public string PurposeClaim { get; set; } = "hds_purpose";

    /// <summary>
    /// The claim listing the purposes the identity may declare, one claim per purpose. With <see cref="PurposeClaim"/> and
    /// <see cref="DefaultPurpose"/> they form <see cref="HdsAccessContext.AllowedPurposes"/>: the only purposes the
    /// <see cref="PurposeHeader"/> may choose.
    /// </summary>
    /// <value>The default value is "hds_allowed_purpose".</value>
    public string AllowedPurposesClaim { get; set; } = "hds_allowed_purpose";

    /// <summary>
    /// A request header choosing the purpose of use among those the identity may declare; a purpose the identity was not given is
    /// refused with 403, a malformed one with 400. Null to ignore the header.
    /// </summary>
    /// <value>The default value is "x-hds-purpose".</value>
    public string? PurposeHeader { get; set; } = HdsContextHeaders.Purpose;

    /// <summary>
    /// A purpose every authenticated identity may declare, used when neither header nor <see cref="PurposeClaim"/> gives one;
    /// without any purpose, the request has no context.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? DefaultPurpose { get; set; }

    /// <summary>The application name put in contexts built here.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Application { get; set; }

    /// <summary>
    /// The claim holding the pseudonym of the patient concerned, for identities bound to one patient (a patient portal session); it
    /// wins over <see cref="PatientRouteValue"/>. The value must be a pseudonym (<see cref="HdsPseudonyms"/>), never a name.
    /// </summary>
    /// <value>The default value is "hds_patient".</value>
    public string? PatientClaim { get; set; } = "hds_patient";

    /// <summary>
    /// The route value holding the pseudonym of the patient whose documents the request reaches (for example "patient" for a route
    /// <c>/patients/{patient}/documents/{id}</c>); the middleware must then run after <c>UseRouting</c>. A value that is not shaped as a
    /// pseudonym (<see cref="HdsPseudonyms"/>) is answered 400 without echoing it. Null: the route does not name patients.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? PatientRouteValue { get; set; }

    /// <summary>The claim naming the authenticated calling service, for trusted callers without a signing key.</summary>
    /// <value>The default value is "client_id".</value>
    public string CallerClaim { get; set; } = "client_id";

    /// <summary>
    /// Services whose propagated contexts are accepted, by caller id. A propagated context from any other caller, with a bad
    /// or stale signature, or malformed, is refused with 403 (never silently replaced).
    /// </summary>
    /// <value>The default value is empty: propagated contexts are refused.</value>
    public IDictionary<string, HdsTrustedCaller> TrustedCallers { get; } = new Dictionary<string, HdsTrustedCaller>(StringComparer.Ordinal);

    /// <summary>
    /// The target signed contexts must be bound to, when callers sign an audience (<see cref="HdsContextPropagationOptions.Audience"/>)
    /// instead of the request path (for example behind a proxy that rewrites paths); null to bind the path.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (the request's path base and path).</value>
    public string? Audience { get; set; }

    /// <summary>How old (or how far in the future) a signed context may be; its nonce is remembered twice as long.</summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan MaxSignatureAge { get; set; } = TimeSpan.FromMinutes(5);
}
