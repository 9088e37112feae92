using System.Security.Cryptography;
using System.Text;

namespace Hds.Storage;

/// <summary>
/// Derives opaque, stable object-key segments from business or patient identifiers with a keyed HMAC-SHA-256, so identifiers
/// never appear in object keys (keys and metadata are not encrypted). The same secret and input always give the same segment;
/// without the secret, a segment reveals nothing and cannot be recomputed from a guessed identifier.
/// Keep the secret in a vault; losing it loses the ability to find objects by identifier (not the objects).
/// </summary>
public sealed class HdsOpaqueKeys : IDisposable
{
    /// <summary>The minimum secret length in bytes.</summary>
    public const int MinimumSecretLength = 32;

    private readonly byte[] _secret;
    private bool _disposed;

    /// <summary>Creates the derivation.</summary>
    /// <param name="secret">At least 32 random bytes; copied.</param>
    /// <exception cref="HdsConfigurationException">The secret is too short.</exception>
    public HdsOpaqueKeys(ReadOnlySpan<byte> secret)
    {
        if (secret.Length < MinimumSecretLength)
        {
            throw new HdsConfigurationException($"The opaque key secret must be at least {MinimumSecretLength} random bytes.");
        }

        _secret = secret.ToArray();
    }

    /// <summary>
    /// Derives the opaque segment of <paramref name="identifier"/> within <paramref name="scope"/> (for example "patient",
    /// "request"): 52 lowercase base32 characters (256 bits). Different scopes give unrelated segments for the same identifier.
    /// </summary>
    /// <param name="scope">A short constant naming the kind of identifier.</param>
    /// <param name="identifier">The identifier; normalized (NFC) before hashing. Never logged.</param>
    /// <returns>The opaque segment, usable in an object key.</returns>
    public string Derive(string scope, string identifier)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var scopeBytes = Encoding.UTF8.GetBytes(scope);
        var idBytes = Encoding.UTF8.GetBytes(identifier.Normalize(NormalizationForm.FormC));
        try
        {
            // Length-prefixed fields: ("ab","c") and ("a","bc") never collide.
            var input = new byte[8 + 4 + scopeBytes.Length + idBytes.Length];
            "hdsok1\0\0"u8.CopyTo(input);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(input.AsSpan(8), scopeBytes.Length);
            scopeBytes.CopyTo(input, 12);
            idBytes.CopyTo(input, 12 + scopeBytes.Length);
            var mac = HMACSHA256.HashData(_secret, input);
            CryptographicOperations.ZeroMemory(input);
            return Base32(mac);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(idBytes);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _disposed = true;
        CryptographicOperations.ZeroMemory(_secret);
    }

    private static string Base32(ReadOnlySpan<byte> data)
    {
        const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        var sb = new StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                sb.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            sb.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }

        return sb.ToString();
    }
}
