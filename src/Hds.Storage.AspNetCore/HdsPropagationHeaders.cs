namespace Hds.Storage.AspNetCore;

/// <summary>
/// Headers that authenticate a propagated access context between services, besides the context headers of
/// <see cref="Access.HdsContextHeaders"/>.
/// </summary>
public static class HdsPropagationHeaders
{
    /// <summary>The id of the calling service, looked up in <see cref="HdsAccessContextOptions.TrustedCallers"/>.</summary>
    public const string Caller = "x-hds-caller";

    /// <summary>When the caller signed the context: Unix time in seconds.</summary>
    public const string Timestamp = "x-hds-timestamp";

    /// <summary>"v1=" and the Base64 HMAC-SHA-256 over the caller, the timestamp and every context field (see docs/security.md).</summary>
    public const string Signature = "x-hds-signature";
}
