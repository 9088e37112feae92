using Hds.Storage.Encryption;

namespace Hds.Storage.Tests.TestSupport;

/// <summary>Drives a codec over byte arrays and records exactly what a decoder released before it failed.</summary>
internal static class Codec
{
    public static readonly ObjectIdentity Identity = new("tenant-a", "requests/2025/0001.pdf");

    public static async Task<(byte[] Stored, ContentSeal Seal)> EncodeAsync(ContentCodec codec, byte[] plaintext, ObjectIdentity? identity = null, int chunk = 1 << 20)
    {
        await using var encoder = await codec.CreateEncoderAsync(new MemoryStream(plaintext), identity ?? Identity, CancellationToken.None);
        using var output = new MemoryStream();
        var buffer = new byte[chunk];
        int n;
        while ((n = await encoder.ReadAsync(buffer)) > 0)
        {
            output.Write(buffer, 0, n);
        }

        return (output.ToArray(), encoder.Seal!);
    }

    /// <summary>Decodes; returns the bytes released and the failure, if any (the exception may come from opening the header).</summary>
    public static async Task<(byte[] Released, Exception? Error, ContentSeal? Seal)> DecodeAsync(
        ContentCodec codec, byte[] stored, ObjectIdentity? identity = null, int chunk = 7919, StoredVersion? version = null)
    {
        var released = new MemoryStream();
        try
        {
            await using var decoder = await codec.CreateDecoderAsync(new MemoryStream(stored), identity ?? Identity, version ?? AsWritten(stored), CancellationToken.None);
            var buffer = new byte[chunk];
            int n;
            while ((n = await decoder.ReadAsync(buffer)) > 0)
            {
                released.Write(buffer, 0, n);
            }

            return (released.ToArray(), null, decoder.Seal);
        }
        catch (Exception ex)
        {
            return (released.ToArray(), ex, null);
        }
    }

    public static async Task<(byte[] Released, Exception? Error)> DecodeRangeAsync(
        ContentCodec codec, byte[] stored, long offset, long length, ObjectIdentity? identity = null, long? reportedStoredLength = null, StoredVersion? version = null)
    {
        var released = new MemoryStream();
        try
        {
            var prefix = stored.AsMemory(0, Math.Min(codec.MaxHeaderLength, stored.Length));
            var storedLength = reportedStoredLength ?? stored.Length;
            using var plan = await codec.OpenRangeAsync(prefix, storedLength, identity ?? Identity, version ?? AsWritten(stored), offset, length, CancellationToken.None);
            if (plan.PendingFinalSegment is { } final)
            {
                plan.VerifyFinalSegment(Slice(stored, final));
            }

            Stream body = Stream.Null;
            if (plan.StoredRange is { } r)
            {
                var start = (int)Math.Min(r.Offset, stored.Length);
                var end = (int)Math.Min(r.Offset + r.Length, stored.Length);
                body = new MemoryStream(stored, start, end - start);
            }

            await using var decoder = plan.CreateDecoder(body);
            await decoder.CopyToAsync(released);
            return (released.ToArray(), null);
        }
        catch (Exception ex)
        {
            return (released.ToArray(), ex);
        }
    }

    /// <summary>What a storage reports for the version as the writer stored it: its write id in the metadata, dated when written.</summary>
    internal static StoredVersion AsWritten(byte[] stored)
    {
        try
        {
            var length = FormatV1Header.ReadLength(stored);
            if (stored.Length >= length && FormatV1Header.Parse(stored.AsSpan(0, length)) is { Version: FormatV1.Version2 } header)
            {
                return new StoredVersion(
                    DateTimeOffset.FromUnixTimeMilliseconds(header.WrittenAtMs),
                    new Dictionary<string, string> { [Hds.Storage.Objects.MetadataNames.WriteId] = Convert.ToHexStringLower(header.WriteId) });
            }
        }
        catch (Exception ex) when (ex is HdsIntegrityException or ArgumentOutOfRangeException)
        {
        }

        return new StoredVersion(DateTimeOffset.UnixEpoch, new Dictionary<string, string>());
    }

    // The stored bytes of a range, cut short where the stored object ends (as a storage would answer).
    private static byte[] Slice(byte[] stored, Hds.Storage.Backends.ByteRange range)
    {
        var start = (int)Math.Min(range.Offset, stored.Length);
        var end = (int)Math.Min(range.Offset + range.Length, stored.Length);
        return stored[start..end];
    }

    public static byte[] Pattern(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
