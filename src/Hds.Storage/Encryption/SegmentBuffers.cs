namespace Hds.Storage.Encryption;

/// <summary>The pooled buffers of the segment decoders: plaintext is zeroed before its buffer goes back to the pool.</summary>
internal static class SegmentBuffers
{
    public static void Release(ref byte[]? stored, ref byte[]? plaintext)
    {
        if (plaintext is { } output)
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(output);
            System.Buffers.ArrayPool<byte>.Shared.Return(output);
            plaintext = null;
        }

        if (stored is { } input)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(input);
            stored = null;
        }
    }
}
