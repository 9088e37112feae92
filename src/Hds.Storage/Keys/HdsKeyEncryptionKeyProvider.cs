using Hds.Storage.Models;
namespace Hds.Storage;

/// <summary>
/// Holds the key-encryption keys (KEKs) that wrap each object's random data key. The built-in provider is the key ring in the
/// bucket, protected by <see cref="HdsEncryptionOptions.Certificates"/>; derive from this class to keep KEKs in a KMS or
/// an HSM (the KEK then never enters the process).
/// </summary>
/// <remarks>
/// Implementations must be thread-safe. Both operations are asynchronous because a KMS or an HSM is a remote call; implementations
/// should cache what they can, since every write wraps one data key and every read unwraps one.
/// </remarks>
public abstract class HdsKeyEncryptionKeyProvider
{
    /// <summary>Wraps a new object's data key under the current key-encryption key.</summary>
    /// <param name="dataKey">The 32-byte data key; the caller zeroes it after the call.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The id of the key-encryption key used (1 to 128 printable ASCII characters, no spaces) and the wrapped key (1 to 1024 bytes).</returns>
    public abstract ValueTask<HdsWrappedDataKey> WrapDataKeyAsync(ReadOnlyMemory<byte> dataKey, CancellationToken cancellationToken);

    /// <summary>Unwraps an object's data key.</summary>
    /// <param name="keyId">The id of the key-encryption key that wrapped it, as stored in the object header.</param>
    /// <param name="wrappedDataKey">The wrapped data key, as stored in the object header.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The data key; the caller zeroes it after use.</returns>
    /// <exception cref="HdsIntegrityException">The key id is unknown or revoked, or the wrapped key does not unwrap.</exception>
    public abstract ValueTask<byte[]> UnwrapDataKeyAsync(string keyId, ReadOnlyMemory<byte> wrappedDataKey, CancellationToken cancellationToken);
}
