namespace Hds.Storage.Access;

/// <summary>
/// The default policy: a context only reaches its own tenant's objects (the tenant is part of every object's identity), and
/// each operation accepts only the purposes of use allowed for it by <see cref="HdsAuthorizationOptions"/>.
/// </summary>
public class HdsDefaultAuthorizationPolicy : HdsAuthorizationPolicy
{
    private readonly HdsAuthorizationOptions _options;

    /// <summary>Creates the policy.</summary>
    /// <param name="options">The purpose allow-lists.</param>
    public HdsDefaultAuthorizationPolicy(HdsAuthorizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <inheritdoc />
    public override ValueTask<HdsAuthorizationDecision> AuthorizeAsync(HdsAuthorizationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ResourceTenant is not null && !string.Equals(request.ResourceTenant, request.Context.Tenant, StringComparison.Ordinal))
        {
            return ValueTask.FromResult(HdsAuthorizationDecision.Deny("cross-tenant"));
        }

        var allowed = _options.AllowedPurposes.TryGetValue(request.Operation, out var list) ? list : _options.DefaultAllowedPurposes;
        if (allowed is not null && !allowed.Contains(request.Context.Purpose))
        {
            return ValueTask.FromResult(HdsAuthorizationDecision.Deny("purpose-not-allowed"));
        }

        return ValueTask.FromResult(HdsAuthorizationDecision.Allow);
    }
}
