using Hds.Storage.Models;
namespace Hds.Storage;

/// <summary>
/// The default policy (docs/security.md, "Rights model"), checked in this order, the first failure giving the denial's reason:
/// a context only reaches its own tenant's objects ("cross-tenant"); the declared purpose must be one the identity may declare
/// ("purpose-not-granted") and one the operation accepts ("purpose-not-allowed"); an operation that needs a role needs the
/// identity to hold one of them ("missing-role-auditor", "missing-role-key-admin", "missing-role-legal"…); the key-ring operations
/// are refused outside the operating tenant ("not-operating-tenant").
/// </summary>
public class HdsDefaultAuthorizationPolicy : HdsAuthorizationPolicy
{
    private readonly HdsAuthorizationOptions _options;

    /// <summary>Creates the policy.</summary>
    /// <param name="options">The purposes and roles per operation.</param>
    public HdsDefaultAuthorizationPolicy(HdsAuthorizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <inheritdoc />
    public override ValueTask<HdsAuthorizationDecision> AuthorizeAsync(HdsAuthorizationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ValueTask.FromResult(Decide(request));
    }

    private HdsAuthorizationDecision Decide(HdsAuthorizationRequest request)
    {
        var context = request.Context;
        if (request.ResourceTenant is not null && !string.Equals(request.ResourceTenant, context.Tenant, StringComparison.Ordinal))
        {
            return HdsAuthorizationDecision.Deny("cross-tenant");
        }

        // The identity's own list first: a purpose it was never given is refused whatever the operation accepts.
        if (context.AllowedPurposes is { } granted && !granted.Contains(context.Purpose, StringComparer.Ordinal))
        {
            return HdsAuthorizationDecision.Deny("purpose-not-granted");
        }

        var allowed = _options.AllowedPurposes.TryGetValue(request.Operation, out var list) ? list : _options.DefaultAllowedPurposes;
        if (allowed is not null && !allowed.Contains(context.Purpose))
        {
            return HdsAuthorizationDecision.Deny("purpose-not-allowed");
        }

        string? grantedBy = null;
        if (_options.RequiredRoles.TryGetValue(request.Operation, out var roles))
        {
            grantedBy = roles.Order(StringComparer.Ordinal).FirstOrDefault(context.HasRole);
            if (grantedBy is null)
            {
                return HdsAuthorizationDecision.Deny(MissingRole(roles));
            }
        }

        if (OperationDescriptors.For(request.Operation).IsKeyRing && (_options.OperatingTenant is null
            || !string.Equals(_options.OperatingTenant, context.Tenant, StringComparison.Ordinal)))
        {
            return HdsAuthorizationDecision.Deny("not-operating-tenant");
        }

        return grantedBy is null ? HdsAuthorizationDecision.Allow : HdsAuthorizationDecision.AllowAs(grantedBy);
    }

    /// <summary>
    /// What an operation needs under this policy, for a denial's message: the purposes it accepts, the roles it needs and the operating
    /// tenant, as configured (never the caller's input). Empty when the operation needs nothing in particular.
    /// </summary>
    internal string Requirements(HdsOperation operation)
    {
        var needs = new List<string>();
        var allowed = _options.AllowedPurposes.TryGetValue(operation, out var list) ? list : _options.DefaultAllowedPurposes;
        if (allowed is { Count: > 0 })
        {
            needs.Add("the purpose " + string.Join(" or ", allowed.Order(StringComparer.Ordinal)));
        }

        if (_options.RequiredRoles.TryGetValue(operation, out var roles) && roles.Count > 0)
        {
            needs.Add("the role " + string.Join(" or ", roles.Order(StringComparer.Ordinal)));
        }

        if (OperationDescriptors.For(operation).IsKeyRing && _options.OperatingTenant is { } tenant)
        {
            needs.Add("the tenant " + tenant);
        }

        return needs.Count == 0 ? string.Empty : $" It needs {string.Join(", ", needs)}.";
    }

    // The reason names the role expected when it fits a reason code (roles may hold '.', ':', '@', '_', which codes do not).
    private static string MissingRole(ISet<string> roles)
    {
        var first = roles.Order(StringComparer.Ordinal).First();
        var code = "missing-role-" + first;
        return code.Length <= 64 && first.All(c => char.IsAsciiLetterOrDigit(c) || c == '-') ? code : "missing-role";
    }
}
