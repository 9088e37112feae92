namespace Hds.Storage.Models;

/// <summary>
/// One key-encryption key of the certificate-protected key ring, described without its key material. New objects are written under the
/// active key activated last; any key that is not revoked still decrypts, expired or not.
/// </summary>
public sealed record HdsKeyRingEntry
{
    /// <summary>The key id stored in every object header it protects: sortable by creation time, printable ASCII.</summary>
    public required string Id { get; init; }

    /// <summary>When the key was created.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>From when new writes may use the key.</summary>
    public required DateTimeOffset ActivatesAt { get; init; }

    /// <summary>From when new writes no longer use the key (it still decrypts).</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>When the key was revoked; objects under a revoked key are refused (their confidentiality and authenticity can no longer be trusted).</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>SHA-256 thumbprints (uppercase hexadecimal) of the certificates the key is encrypted to in the store.</summary>
    public IReadOnlyList<string> RecipientThumbprints { get; init; } = [];

    /// <summary>Whether one of the configured certificates opened this entry (so this process can use the key).</summary>
    public bool IsAvailable { get; init; }

    /// <summary>Whether the key has been revoked.</summary>
    public bool IsRevoked => RevokedAt is not null;

    /// <summary>Whether new writes may use the key at <paramref name="time"/>.</summary>
    /// <param name="time">The time to test.</param>
    /// <returns><see langword="true"/> when not revoked, activated and not expired.</returns>
    public bool IsActiveAt(DateTimeOffset time) => !IsRevoked && ActivatesAt <= time && time < ExpiresAt;
}
