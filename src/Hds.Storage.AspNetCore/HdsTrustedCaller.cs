namespace Hds.Storage.AspNetCore;

/// <summary>A service allowed to propagate an access context to this one.</summary>
public sealed class HdsTrustedCaller
{
    /// <summary>
    /// The HMAC key (at least 32 bytes) the caller signs contexts with. When null, the caller must be the authenticated principal
    /// of the request (its <see cref="HdsAccessContextOptions.CallerClaim"/> equal to the caller id, e.g. mTLS or a client-credentials token).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public byte[]? SigningKey { get; set; }
}
