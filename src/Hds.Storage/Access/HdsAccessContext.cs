namespace Hds.Storage;

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

    /// <summary>
    /// The role the actor acts in, for example "agent", "physician", "operator": recorded in the audit trail and, like
    /// <see cref="Roles"/>, a role the identity holds.
    /// </summary>
    public string? Role { get; init; }

    /// <summary>
    /// Every role the authenticated identity holds (from its claims, the operator's flags or the calling code, never from a request
    /// header alone). The default policy grants sensitive operations by role ("auditor", "key-admin", "legal"); <see cref="Role"/>
    /// counts as held too. At most 32 roles.
    /// </summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyList<string> Roles { get; init; } = [];

    /// <summary>
    /// The purposes of use the authenticated identity may declare, when the identity restricts them (from its claims in ASP.NET
    /// Core); <see cref="Purpose"/> must then be one of them, or every operation is denied ("purpose-not-granted").
    /// <see langword="null"/> when the code building the context vouches for the purpose itself. At most 32 purposes.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IReadOnlyList<string>? AllowedPurposes { get; init; }

    /// <summary>Whether the identity holds <paramref name="role"/> (in <see cref="Roles"/> or as <see cref="Role"/>).</summary>
    /// <param name="role">The role name, compared ordinally.</param>
    /// <returns><see langword="true"/> when held.</returns>
    public bool HasRole(string role) =>
        string.Equals(Role, role, StringComparison.Ordinal) || (Roles ?? []).Contains(role, StringComparer.Ordinal);

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
        CheckList(Roles, nameof(Roles), required: true);
        CheckList(AllowedPurposes, nameof(AllowedPurposes), required: false);
        if (!IsValidTenant(Tenant))
        {
            throw new HdsInvalidRequestException(
                "The access context's tenant must be 1 to 63 characters among a-z, 0-9 and '-', starting with a letter or digit.");
        }
    }

    internal static bool IsValidTenant(string? tenant) =>
        !string.IsNullOrEmpty(tenant) && tenant.Length <= 63 && char.IsAsciiLetterOrDigit(tenant[0])
        && tenant.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    private const int MaxListCount = 32;

    private static void CheckList(IReadOnlyList<string>? values, string name, bool required)
    {
        if (values is null)
        {
            if (required)
            {
                throw new HdsInvalidRequestException($"The access context's {name} must be a list (empty when none).");
            }

            return;
        }

        if (values.Count > MaxListCount)
        {
            throw new HdsInvalidRequestException($"The access context's {name} holds more than {MaxListCount} entries.");
        }

        foreach (var value in values)
        {
            if (string.IsNullOrEmpty(value))
            {
                throw new HdsInvalidRequestException($"The access context's {name} holds an empty entry.");
            }

            CheckToken(value, name, 64, required: true);
        }
    }

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
