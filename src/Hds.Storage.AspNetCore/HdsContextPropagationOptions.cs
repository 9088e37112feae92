namespace Hds.Storage.AspNetCore;

/// <summary>How <see cref="HdsContextPropagationHandler"/> propagates the current access context to a downstream service.</summary>
public sealed class HdsContextPropagationOptions
{
    /// <summary>This service's caller id, as the downstream service lists it in its trusted callers.</summary>
    /// <value>The default value is an empty string (must be set).</value>
    public string CallerId { get; set; } = string.Empty;

    /// <summary>The HMAC key shared with the downstream service (at least 32 bytes); no signature when null.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public byte[]? SigningKey { get; set; }

    /// <summary>
    /// The target signed instead of each request's path, as the downstream service expects it
    /// (<see cref="HdsAccessContextOptions.Audience"/>); null to sign the path of each request.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Audience { get; set; }
}
