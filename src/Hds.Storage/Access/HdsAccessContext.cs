namespace Hds.Storage.Access;

/// <summary>
/// Who accesses what and why: every operation runs under one. All fields are pseudonymous identifiers, never names or
/// health data. The tenant (scheme) is part of every object's identity: a context only ever reaches its own tenant's objects.
/// </summary>
public sealed record HdsAccessContext
{
    /// <summary>Creates a context after validating every field.</summary>
    /// <param name="actorId">Pseudonymous id of the user or service acting.</param>
    /// <param name="tenant">The scheme whose objects are accessed: 1 to 63 characters among a-z, 0-9 and '-'.</param>
    /// <param name="purpose">The purpose of use, for example "care", "claim-processing", "audit".</param>
    /// <exception cref="HdsInvalidRequestException">A field is missing or malformed.</exception>
    public HdsAccessContext(string actorId, string tenant, string purpose)
    {
        ActorId = actorId;
        Tenant = tenant;
        Purpose = purpose;
        Validate();
    }

    /// <summary>Pseudonymous id of the user or service acting.</summary>
    public string ActorId { get; init; }

    /// <summary>The kind of actor.</summary>
    /// <value>The default value is "user".</value>
    public string ActorKind { get; init; } = "user";

    /// <summary>The actor's role, for example "agent", "physician", "operator".</summary>
    public string? Role { get; init; }

    /// <summary>The scheme (tenant) whose objects are accessed.</summary>
    public string Tenant { get; init; }

    /// <summary>The purpose of use.</summary>
    public string Purpose { get; init; }

    /// <summary>Optional pseudonym of the patient concerned (never a name or a national identifier).</summary>
    public string? PatientPseudonym { get; init; }

    /// <summary>Correlation id of the business operation, propagated between services.</summary>
    public string? CorrelationId { get; init; }

    /// <summary>The calling application.</summary>
    public string? Application { get; init; }

    /// <summary>Checks every field; called by the client before any I/O.</summary>
    /// <exception cref="HdsInvalidRequestException">A field is missing or malformed.</exception>
    public void Validate()
    {
        CheckToken(ActorId, nameof(ActorId), 128, required: true);
        CheckToken(ActorKind, nameof(ActorKind), 32, required: true);
        CheckToken(Role, nameof(Role), 64, required: false);
        CheckToken(Purpose, nameof(Purpose), 64, required: true);
        CheckToken(PatientPseudonym, nameof(PatientPseudonym), 128, required: false);
        CheckToken(CorrelationId, nameof(CorrelationId), 128, required: false);
        CheckToken(Application, nameof(Application), 64, required: false);
        if (!IsValidTenant(Tenant))
        {
            throw new HdsInvalidRequestException(
                "The access context's tenant must be 1 to 63 characters among a-z, 0-9 and '-', starting with a letter or digit.");
        }
    }

    internal static bool IsValidTenant(string? tenant) =>
        !string.IsNullOrEmpty(tenant) && tenant.Length <= 63 && char.IsAsciiLetterOrDigit(tenant[0])
        && tenant.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    // Context values travel in S3 headers and metadata: printable ASCII without separators keeps them safe there and in logs.
    private static void CheckToken(string? value, string name, int maxLength, bool required)
    {
        if (string.IsNullOrEmpty(value))
        {
            if (required)
            {
                throw new HdsInvalidRequestException($"The access context's {name} is required: every operation must say who acts and why.");
            }

            return;
        }

        if (value.Length > maxLength || !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@'))
        {
            throw new HdsInvalidRequestException(
                $"The access context's {name} must be at most {maxLength} characters among letters, digits and - _ . : @ (a pseudonymous id, not a name).");
        }
    }
}
