namespace Hds.Storage.Models;

/// <summary>A data key wrapped by a key-encryption key, as stored in an object header.</summary>
public sealed class HdsWrappedDataKey
{
    /// <summary>Creates the value.</summary>
    /// <param name="keyId">The id of the key-encryption key that wrapped the data key.</param>
    /// <param name="wrappedKey">The wrapped data key.</param>
    public HdsWrappedDataKey(string keyId, ReadOnlyMemory<byte> wrappedKey)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        KeyId = keyId;
        WrappedKey = wrappedKey;
    }

    /// <summary>The id of the key-encryption key that wrapped the data key.</summary>
    public string KeyId { get; }

    /// <summary>The wrapped data key.</summary>
    public ReadOnlyMemory<byte> WrappedKey { get; }
}
