using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hds.Storage.Models;

namespace Hds.Storage.Keys;

/// <summary>
/// The plaintext of one key-ring object, inside its CMS EnvelopedData (docs/format.md §9):
/// "HDSK" | version 1 | u16 BE length of the JSON | JSON description | 32-byte KEK. Binary around the key so it can be zeroed.
/// </summary>
internal static class KeyRingPayload
{
    public const int KekLength = 32;
    private static ReadOnlySpan<byte> Magic => "HDSK"u8;

    public static byte[] Encode(HdsKeyRingEntry entry, ReadOnlySpan<byte> kek)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(
            new KeyRingDocument(entry.Id, entry.CreatedAt, entry.ActivatesAt, entry.ExpiresAt, entry.RevokedAt, [.. entry.RecipientThumbprints]),
            KeyRingJson.Default.KeyRingDocument);
        var payload = new byte[4 + 1 + 2 + json.Length + KekLength];
        Magic.CopyTo(payload);
        payload[4] = 1;
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(5), checked((ushort)json.Length));
        json.CopyTo(payload, 7);
        kek.CopyTo(payload.AsSpan(7 + json.Length));
        return payload;
    }

    /// <summary>Parses a payload; the returned KEK is a new pinned array the caller owns.</summary>
    public static (HdsKeyRingEntry Entry, byte[] Kek) Decode(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 7 + KekLength || !payload[..4].SequenceEqual(Magic) || payload[4] != 1)
        {
            throw new CryptographicException("Not a key-ring entry.");
        }

        int jsonLength = BinaryPrimitives.ReadUInt16BigEndian(payload[5..]);
        if (payload.Length != 7 + jsonLength + KekLength)
        {
            throw new CryptographicException("Malformed key-ring entry.");
        }

        KeyRingDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize(payload.Slice(7, jsonLength), KeyRingJson.Default.KeyRingDocument);
        }
        catch (JsonException ex)
        {
            throw new CryptographicException("Malformed key-ring entry.", ex);
        }

        if (doc is null || string.IsNullOrEmpty(doc.Id))
        {
            throw new CryptographicException("Malformed key-ring entry.");
        }

        var kek = GC.AllocateUninitializedArray<byte>(KekLength, pinned: true);
        payload.Slice(7 + jsonLength, KekLength).CopyTo(kek);
        var entry = new HdsKeyRingEntry
        {
            Id = doc.Id,
            CreatedAt = doc.Created,
            ActivatesAt = doc.Activates,
            ExpiresAt = doc.Expires,
            RevokedAt = doc.Revoked,
            RecipientThumbprints = doc.Recipients ?? [],
            IsAvailable = true,
        };
        return (entry, kek);
    }
}

internal sealed record KeyRingDocument(
    string Id, DateTimeOffset Created, DateTimeOffset Activates, DateTimeOffset Expires, DateTimeOffset? Revoked, string[]? Recipients);

[JsonSerializable(typeof(KeyRingDocument))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class KeyRingJson : JsonSerializerContext
{
}
