using System.Security.Cryptography;
using Hds.Storage.Keys;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.TestSupport;

/// <summary>An in-memory KEK provider for codec tests: AES-256 key wrap with padding (RFC 5649) under fixed KEKs, like the key ring.</summary>
internal sealed class TestKeyProvider : HdsKeyEncryptionKeyProvider
{
    private readonly Dictionary<string, byte[]> _keks = new(StringComparer.Ordinal);

    public TestKeyProvider(string currentId = "test-kek-1", byte[]? kek = null)
    {
        CurrentId = currentId;
        _keks[currentId] = kek ?? RandomNumberGenerator.GetBytes(32);
    }

    public string CurrentId { get; set; }

    public HashSet<string> Revoked { get; } = new(StringComparer.Ordinal);

    public byte[] this[string id]
    {
        get => _keks[id];
        set => _keks[id] = value;
    }

    public bool Remove(string id) => _keks.Remove(id);

    public override ValueTask<HdsWrappedDataKey> WrapDataKeyAsync(ReadOnlyMemory<byte> dataKey, CancellationToken cancellationToken)
    {
        using var aes = Aes.Create();
        aes.Key = _keks[CurrentId];
        return ValueTask.FromResult(new HdsWrappedDataKey(CurrentId, aes.EncryptKeyWrapPadded(dataKey.Span)));
    }

    public override ValueTask<byte[]> UnwrapDataKeyAsync(string keyId, ReadOnlyMemory<byte> wrappedDataKey, CancellationToken cancellationToken)
    {
        if (!_keks.TryGetValue(keyId, out var kek) || Revoked.Contains(keyId))
        {
            throw new HdsIntegrityException("unknown or revoked key");
        }

        using var aes = Aes.Create();
        aes.Key = kek;
        return ValueTask.FromResult(aes.DecryptKeyWrapPadded(wrappedDataKey.Span));
    }
}
