namespace Hds.Storage;

/// <summary>The outcome of an authorization: allowed (possibly by a named role), or denied with a reason code.</summary>
public sealed class HdsAuthorizationDecision
{
    private HdsAuthorizationDecision(bool isAllowed, string? reason, string? grantedBy)
    {
        IsAllowed = isAllowed;
        Reason = reason;
        GrantedBy = grantedBy;
    }

    /// <summary>The operation may proceed.</summary>
    public static HdsAuthorizationDecision Allow { get; } = new(true, null, null);

    /// <summary>Whether the operation may proceed.</summary>
    public bool IsAllowed { get; }

    /// <summary>
    /// Why it was denied: a short code such as "cross-tenant" or "purpose-not-allowed", stored in the audit record and the
    /// exception message. Never a name, a key or health data.
    /// </summary>
    public string? Reason { get; }

    /// <summary>The role the operation was allowed by, recorded as the audit record's role; null when no role was needed.</summary>
    public string? GrantedBy { get; }

    /// <summary>Allows the operation because the identity holds <paramref name="role"/>.</summary>
    /// <param name="role">A role of the context (a token of at most 64 characters).</param>
    /// <returns>The decision.</returns>
    public static HdsAuthorizationDecision AllowAs(string role)
    {
        ArgumentException.ThrowIfNullOrEmpty(role);
        if (role.Length > 64 || !role.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@'))
        {
            throw new ArgumentException("A role is a short token (letters, digits, - _ . : @).", nameof(role));
        }

        return new HdsAuthorizationDecision(true, null, role);
    }

    /// <summary>Denies the operation.</summary>
    /// <param name="reason">A short code of at most 64 characters among letters, digits and '-'.</param>
    /// <returns>The decision.</returns>
    public static HdsAuthorizationDecision Deny(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        if (reason.Length > 64 || !reason.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
        {
            throw new ArgumentException("A denial reason is a short code (letters, digits, '-'), not free text.", nameof(reason));
        }

        return new HdsAuthorizationDecision(false, reason, null);
    }
}
