namespace Hds.Storage.Access;

/// <summary>The outcome of an authorization: allowed, or denied with a reason code.</summary>
public sealed class HdsAuthorizationDecision
{
    private HdsAuthorizationDecision(bool isAllowed, string? reason)
    {
        IsAllowed = isAllowed;
        Reason = reason;
    }

    /// <summary>The operation may proceed.</summary>
    public static HdsAuthorizationDecision Allow { get; } = new(true, null);

    /// <summary>Whether the operation may proceed.</summary>
    public bool IsAllowed { get; }

    /// <summary>
    /// Why it was denied: a short code such as "cross-tenant" or "purpose-not-allowed", stored in the audit record and the
    /// exception message. Never a name, a key or health data.
    /// </summary>
    public string? Reason { get; }

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

        return new HdsAuthorizationDecision(false, reason);
    }
}
