using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Hds.Storage.Encryption;

/// <summary>
/// AES-256-GCM over one segment under the object's segment key. Nonce = nonce prefix (7) || segment index (4, big-endian) ||
/// final flag (1): a segment decrypts only at its own position and with its own finality (Tink streaming AEAD).
/// Not thread-safe: one per stream.
/// </summary>
internal sealed class SegmentCipher : IDisposable
{
    private readonly AesGcm _aes;
    private readonly byte[] _noncePrefix;

    public SegmentCipher(ReadOnlySpan<byte> segmentKey, byte[] noncePrefix)
    {
        _aes = new AesGcm(segmentKey, FormatV1.TagLength);
        _noncePrefix = noncePrefix;
    }

    /// <summary>Writes ciphertext || tag (plaintext length + 16 bytes) to <paramref name="destination"/>.</summary>
    public void Encrypt(uint index, bool final, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        Span<byte> nonce = stackalloc byte[12];
        WriteNonce(nonce, index, final);
        _aes.Encrypt(nonce, plaintext, destination[..plaintext.Length], destination.Slice(plaintext.Length, FormatV1.TagLength));
    }

    /// <summary>Decrypts ciphertext || tag; on a tag mismatch returns false and leaves <paramref name="plaintext"/> zeroed.</summary>
    public bool TryDecrypt(uint index, bool final, ReadOnlySpan<byte> stored, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[12];
        WriteNonce(nonce, index, final);
        var length = stored.Length - FormatV1.TagLength;
        try
        {
            _aes.Decrypt(nonce, stored[..length], stored[length..], plaintext[..length]);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            CryptographicOperations.ZeroMemory(plaintext[..length]);
            return false;
        }
    }

    public void Dispose() => _aes.Dispose();

    private void WriteNonce(Span<byte> nonce, uint index, bool final)
    {
        _noncePrefix.CopyTo(nonce);
        BinaryPrimitives.WriteUInt32BigEndian(nonce[7..], index);
        nonce[11] = final ? (byte)1 : (byte)0;
    }
}
