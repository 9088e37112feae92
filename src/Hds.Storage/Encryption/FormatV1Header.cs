using System.Buffers.Binary;
using System.Text;

namespace Hds.Storage.Encryption;

/// <summary>
/// The header of a format 1 object (docs/format.md §3): every field a reader needs, authenticated by the header MAC.
/// Parsing only checks structure; <see cref="FormatV1"/> checks the commitment and the MAC once the data key is known.
/// </summary>
internal sealed class FormatV1Header
{
    public const int FixedPrefixLength = 8; // magic, version, suite, header length: enough to know how much more to read
    public const int SaltLength = 32;
    public const int NoncePrefixLength = 7;
    public const int CommitmentLength = 32;
    public const int MacLength = 32;
    public const int MaxKeyIdLength = 128;
    public const int MaxWrappedKeyLength = 1024;
    public const int MinHeaderLength = FixedPrefixLength + 4 + 1 + 1 + 2 + 1 + SaltLength + NoncePrefixLength + CommitmentLength + MacLength;
    public const int MaxHeaderLength = 2048; // larger than any valid header (1,271 bytes); ranged reads fetch this much first

    public FormatV1Header(int segmentSize, string keyId, byte[] wrappedKey, byte[] salt, byte[] noncePrefix)
    {
        SegmentSize = segmentSize;
        KeyId = keyId;
        WrappedKey = wrappedKey;
        Salt = salt;
        NoncePrefix = noncePrefix;
    }

    public static ReadOnlySpan<byte> Magic => "HDS1"u8;

    public int SegmentSize { get; }

    public string KeyId { get; }

    public byte[] WrappedKey { get; }

    public byte[] Salt { get; }

    public byte[] NoncePrefix { get; }

    public int Length => MinHeaderLength - 2 + KeyId.Length + WrappedKey.Length; // MinHeaderLength counts 1-byte key id and wrapped key

    /// <summary>Offset of the commitment; the MAC follows it and ends the header.</summary>
    public int CommitmentOffset => Length - MacLength - CommitmentLength;

    public static bool IsValidKeyId(string keyId) =>
        keyId.Length is >= 1 and <= MaxKeyIdLength && keyId.All(c => c is > ' ' and < (char)127);

    /// <summary>Reads the total header length from the first <see cref="FixedPrefixLength"/> bytes, refusing anything not format 1.</summary>
    public static int ReadLength(ReadOnlySpan<byte> prefix)
    {
        if (prefix.Length < FixedPrefixLength || !prefix[..4].SequenceEqual(Magic))
        {
            throw FormatV1.Corrupt("The stored object is not in Hds.Storage format 1 (bad magic).");
        }

        if (prefix[4] != FormatV1.Version)
        {
            throw FormatV1.Corrupt("The stored object has an unsupported format version.");
        }

        if (prefix[5] != FormatV1.Suite)
        {
            throw FormatV1.Corrupt("The stored object uses an unsupported algorithm suite.");
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(prefix[6..]);
        if (length is < MinHeaderLength or > MaxHeaderLength)
        {
            throw FormatV1.Corrupt("The stored object's header length is out of bounds.");
        }

        return length;
    }

    /// <summary>Parses a whole header (exactly <see cref="ReadLength"/> bytes); structural checks only.</summary>
    public static FormatV1Header Parse(ReadOnlySpan<byte> header)
    {
        var length = ReadLength(header);
        if (header.Length != length)
        {
            throw FormatV1.Corrupt("The stored object's header is truncated.");
        }

        var segmentSize = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        if (segmentSize is < FormatV1.MinSegmentSize or > FormatV1.MaxSegmentSize)
        {
            throw FormatV1.Corrupt("The stored object's segment size is out of bounds.");
        }

        var pos = 12;
        int keyIdLength = header[pos++];
        if (keyIdLength is 0 or > MaxKeyIdLength || pos + keyIdLength + 2 > length)
        {
            throw FormatV1.Corrupt("The stored object's key id is malformed.");
        }

        var keyId = Encoding.ASCII.GetString(header.Slice(pos, keyIdLength));
        if (!IsValidKeyId(keyId) || header.Slice(pos, keyIdLength).ContainsAnyExceptInRange((byte)0x21, (byte)0x7e))
        {
            throw FormatV1.Corrupt("The stored object's key id is malformed.");
        }

        pos += keyIdLength;
        int wrappedLength = BinaryPrimitives.ReadUInt16BigEndian(header[pos..]);
        pos += 2;
        if (wrappedLength is 0 or > MaxWrappedKeyLength
            || pos + wrappedLength + SaltLength + NoncePrefixLength + CommitmentLength + MacLength != length)
        {
            throw FormatV1.Corrupt("The stored object's wrapped key is malformed.");
        }

        var wrapped = header.Slice(pos, wrappedLength).ToArray();
        pos += wrappedLength;
        var salt = header.Slice(pos, SaltLength).ToArray();
        pos += SaltLength;
        var prefix = header.Slice(pos, NoncePrefixLength).ToArray();
        return new FormatV1Header(segmentSize, keyId, wrapped, salt, prefix);
    }

    /// <summary>Writes every field up to and excluding the commitment and the MAC.</summary>
    public void WriteFields(Span<byte> destination)
    {
        Magic.CopyTo(destination);
        destination[4] = FormatV1.Version;
        destination[5] = FormatV1.Suite;
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], checked((ushort)Length));
        BinaryPrimitives.WriteInt32BigEndian(destination[8..], SegmentSize);
        var pos = 12;
        destination[pos++] = checked((byte)KeyId.Length);
        pos += Encoding.ASCII.GetBytes(KeyId, destination[pos..]);
        BinaryPrimitives.WriteUInt16BigEndian(destination[pos..], checked((ushort)WrappedKey.Length));
        pos += 2;
        WrappedKey.CopyTo(destination[pos..]);
        pos += WrappedKey.Length;
        Salt.CopyTo(destination[pos..]);
        pos += SaltLength;
        NoncePrefix.CopyTo(destination[pos..]);
    }
}
