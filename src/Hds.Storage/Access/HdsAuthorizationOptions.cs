namespace Hds.Storage.Access;

/// <summary>Settings of the authorization every operation goes through.</summary>
public sealed class HdsAuthorizationOptions
{
    /// <summary>The purpose used by default for the audit operations' allow-list.</summary>
    public const string AuditPurpose = "audit";

    /// <summary>
    /// The purpose used by default for the key-ring operations' allow-list. The key ring is bucket-wide (every tenant's objects
    /// depend on it), so it is reached by purpose, not by tenant: the context's tenant is recorded but not compared.
    /// </summary>
    public const string KeyManagementPurpose = "key-management";

    /// <summary>
    /// The purposes of use allowed per operation. An operation listed here accepts only these purposes; an operation not listed
    /// accepts the purposes of <see cref="DefaultAllowedPurposes"/>.
    /// </summary>
    /// <value>
    /// The default value allows only the purpose "audit" for <see cref="HdsOperation.VerifyAudit"/> and <see cref="HdsOperation.ReadAudit"/>,
    /// and only the purpose "key-management" for <see cref="HdsOperation.ListKeys"/>, <see cref="HdsOperation.RotateKey"/>,
    /// <see cref="HdsOperation.RevokeKey"/> and <see cref="HdsOperation.RewrapKeys"/>.
    /// </value>
    public IDictionary<HdsOperation, ISet<string>> AllowedPurposes { get; } = new Dictionary<HdsOperation, ISet<string>>
    {
        [HdsOperation.VerifyAudit] = new HashSet<string>(StringComparer.Ordinal) { AuditPurpose },
        [HdsOperation.ReadAudit] = new HashSet<string>(StringComparer.Ordinal) { AuditPurpose },
        [HdsOperation.ListKeys] = new HashSet<string>(StringComparer.Ordinal) { KeyManagementPurpose },
        [HdsOperation.RotateKey] = new HashSet<string>(StringComparer.Ordinal) { KeyManagementPurpose },
        [HdsOperation.RevokeKey] = new HashSet<string>(StringComparer.Ordinal) { KeyManagementPurpose },
        [HdsOperation.RewrapKeys] = new HashSet<string>(StringComparer.Ordinal) { KeyManagementPurpose },
    };

    /// <summary>The purposes allowed for operations not listed in <see cref="AllowedPurposes"/>; any purpose when null.</summary>
    /// <value>The default value is <see langword="null"/> (any declared purpose).</value>
    public ISet<string>? DefaultAllowedPurposes { get; set; }

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

        if (DefaultAllowedPurposes is { Count: 0 })
        {
            errors.Add("Authorization.DefaultAllowedPurposes is empty: set it to null to allow any purpose, or list purposes.");
        }
    }
}
