namespace Hds.Storage.AspNetCore;

/// <summary>
/// Headers that authenticate a propagated access context between services, besides the context headers of
/// <see cref="HdsContextHeaders"/>.
/// </summary>
public static class HdsPropagationHeaders
{
    /// <summary>The id of the calling service, looked up in <see cref="HdsAccessContextOptions.TrustedCallers"/>.</summary>
    public const string Caller = "x-hds-caller";

    /// <summary>When the caller signed the context: Unix time in seconds.</summary>
    public const string Timestamp = "x-hds-timestamp";

    /// <summary>A single-use random value (16 to 64 characters among A-Z, a-z, 0-9, '-' and '_'): a replayed request is refused.</summary>
    public const string Nonce = "x-hds-nonce";

    /// <summary>
    /// "v2=" and the Base64 HMAC-SHA-256 over the caller, the timestamp, the nonce, the method, the target (audience or path) and
    /// every context field (see docs/security.md).
    /// </summary>
    public const string Signature = "x-hds-signature";

    /// <summary>The roles the identity holds, comma-separated (between services only).</summary>
    public const string Roles = "x-hds-roles";

    /// <summary>The purposes the identity may declare, comma-separated, when it restricts them (between services only).</summary>
    public const string AllowedPurposes = "x-hds-allowed-purposes";
}
