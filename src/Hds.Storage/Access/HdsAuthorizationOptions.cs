using Hds.Storage.Models;
namespace Hds.Storage;

/// <summary>
/// Settings of the authorization every operation goes through: which purposes of use and which roles grant each operation
/// (see docs/security.md, "Rights model"). Roles and allowed purposes are those of the authenticated identity
/// (<see cref="HdsAccessContext.Roles"/>, <see cref="HdsAccessContext.AllowedPurposes"/>), never a request header alone.
/// </summary>
public sealed class HdsAuthorizationOptions
{
    /// <summary>The purpose of the audit operations by default.</summary>
    public const string AuditPurpose = "audit";

    /// <summary>
    /// The purpose of the key-ring operations by default. The key ring is bucket-wide (every tenant's objects depend on it): it is
    /// reached only from the <see cref="OperatingTenant"/>.
    /// </summary>
    public const string KeyManagementPurpose = "key-management";

    /// <summary>The purpose of setting or releasing a legal hold by default.</summary>
    public const string LegalHoldPurpose = "legal-hold";

    /// <summary>The purpose of extending a retention by default.</summary>
    public const string RetentionPurpose = "retention";

    /// <summary>The role granting the audit operations by default.</summary>
    public const string AuditorRole = "auditor";

    /// <summary>The role granting the key-ring operations by default.</summary>
    public const string KeyAdminRole = "key-admin";

    /// <summary>The role granting legal holds (set and release) and retention extensions by default.</summary>
    public const string LegalRole = "legal";

    /// <summary>The tenant of the bucket's operator by default: the only one reaching the key ring.</summary>
    public const string DefaultOperatingTenant = "operator";

    /// <summary>
    /// The purposes of use allowed per operation. An operation listed here accepts only these purposes; an operation not listed
    /// accepts the purposes of <see cref="DefaultAllowedPurposes"/>.
    /// </summary>
    /// <value>
    /// The default value allows only "audit" for <see cref="HdsOperation.VerifyAudit"/> and <see cref="HdsOperation.ReadAudit"/>;
    /// only "key-management" for <see cref="HdsOperation.ListKeys"/>, <see cref="HdsOperation.RotateKey"/>,
    /// <see cref="HdsOperation.RevokeKey"/> and <see cref="HdsOperation.RewrapKeys"/>; only "legal-hold" for
    /// <see cref="HdsOperation.SetLegalHold"/>; only "retention" for <see cref="HdsOperation.ExtendRetention"/>.
    /// </value>
    public IDictionary<HdsOperation, ISet<string>> AllowedPurposes { get; } =
        OperationDescriptors.All.Where(d => d.Purpose is not null).ToDictionary(d => d.Operation, d => (ISet<string>)Set(d.Purpose!)); // the operations' table

    /// <summary>
    /// The roles granting each operation: an operation listed here is allowed only to an identity holding one of these roles
    /// (<see cref="HdsAccessContext.HasRole"/>); an operation not listed (the ordinary document operations) to any identity of the tenant.
    /// </summary>
    /// <value>
    /// The default value grants the audit operations to "auditor", the key-ring operations to "key-admin", and legal holds and
    /// retention extensions to "legal".
    /// </value>
    public IDictionary<HdsOperation, ISet<string>> RequiredRoles { get; } =
        OperationDescriptors.All.Where(d => d.Role is not null).ToDictionary(d => d.Operation, d => (ISet<string>)Set(d.Role!)); // the operations' table

    /// <summary>The purposes allowed for operations not listed in <see cref="AllowedPurposes"/>; any purpose when null.</summary>
    /// <value>The default value is <see langword="null"/> (any declared purpose).</value>
    public ISet<string>? DefaultAllowedPurposes { get; set; }

    /// <summary>
    /// The only tenant whose contexts may run the key-ring operations (the key ring protects every tenant's objects, so no
    /// client tenant may rotate or revoke it); <see langword="null"/> refuses them to every tenant.
    /// </summary>
    /// <value>The default value is "operator".</value>
    public string? OperatingTenant { get; set; } = DefaultOperatingTenant;

    /// <summary>
    /// How far in the future a requested retain-until date may be. A COMPLIANCE retention cannot be shortened by anyone, so a
    /// date beyond this horizon is refused as an invalid request whatever the role and the policy (it would block an erasure
    /// the law may one day require).
    /// </summary>
    /// <value>The default value is 100 years (36525 days).</value>
    public TimeSpan RetentionHorizon { get; set; } = TimeSpan.FromDays(36525);

    /// <summary>The policy deciding every operation; when null, an <see cref="HdsDefaultAuthorizationPolicy"/> over these options.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public HdsAuthorizationPolicy? Policy { get; set; }

    internal void Validate(List<string> errors)
    {
        foreach (var (operation, purposes) in AllowedPurposes)
        {
            if (purposes is null || purposes.Count == 0)
            {
                errors.Add($"Authorization.AllowedPurposes[{operation}] is empty: list the purposes allowed, or remove the entry.");
            }
        }

        foreach (var (operation, roles) in RequiredRoles)
        {
            if (roles is null || roles.Count == 0)
            {
                errors.Add($"Authorization.RequiredRoles[{operation}] is empty: list the roles granting it, or remove the entry.");
            }
        }

        if (DefaultAllowedPurposes is { Count: 0 })
        {
            errors.Add("Authorization.DefaultAllowedPurposes is empty: set it to null to allow any purpose, or list purposes.");
        }

        if (OperatingTenant is not null && !HdsAccessContext.IsValidTenant(OperatingTenant))
        {
            errors.Add("Authorization.OperatingTenant must be a tenant id (1 to 63 characters among a-z, 0-9 and '-'), or null.");
        }

        if (RetentionHorizon <= TimeSpan.Zero || RetentionHorizon > TimeSpan.FromDays(36525 * 5))
        {
            errors.Add("Authorization.RetentionHorizon must be positive and at most 500 years.");
        }
    }

    private static HashSet<string> Set(string value) => new(StringComparer.Ordinal) { value };
}
