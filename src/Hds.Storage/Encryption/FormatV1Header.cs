using System.Buffers.Binary;
using System.Text;

namespace Hds.Storage.Encryption;

/// <summary>
/// The header of a format 1 or 2 object (docs/format.md §2): every field a reader needs, authenticated by the header MAC. Version 2
/// adds the write binding (write id and write time) after the nonce prefix. Parsing only checks structure; <see cref="FormatV1"/>
/// checks the commitment and the MAC once the data key is known.
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
    public const int WriteIdLength = 16;
    public const int WriteBindingLength = WriteIdLength + 8; // version 2: write id, write time (Unix milliseconds)
    public const int MinHeaderLength = FixedPrefixLength + 4 + 1 + 1 + 2 + 1 + SaltLength + NoncePrefixLength + CommitmentLength + MacLength;
    public const int MaxHeaderLength = 2048; // a bound larger than any valid header (1,270 bytes in version 1, 1,294 in 2); ranged reads fetch this much first

    public FormatV1Header(int segmentSize, string keyId, byte[] wrappedKey, byte[] salt, byte[] noncePrefix, byte version = FormatV1.Version, byte[]? writeId = null, long writtenAtMs = 0)
    {
        SegmentSize = segmentSize;
        KeyId = keyId;
        WrappedKey = wrappedKey;
        Salt = salt;
        NoncePrefix = noncePrefix;
        Version = version;
        WriteId = writeId ?? [];
        WrittenAtMs = writtenAtMs;
    }

    /// <summary>1 or 2 (<see cref="FormatV1.Version"/>, <see cref="FormatV1.Version2"/>).</summary>
    public byte Version { get; }

    /// <summary>Version 2: the write's random id, also in the version's metadata and the receipt; empty in version 1.</summary>
    public byte[] WriteId { get; }

    /// <summary>Version 2: when the writer began the write (Unix milliseconds, writer's clock); 0 in version 1.</summary>
    public long WrittenAtMs { get; }

    /// <summary>Bytes of the trailer in the final segment: 40 in version 1, 48 in version 2 (adds the seal time).</summary>
    public int TrailerLength => FormatV1.TrailerLengthOf(Version);

    public static ReadOnlySpan<byte> Magic => "HDS1"u8;

    public int SegmentSize { get; }

    public string KeyId { get; }

    public byte[] WrappedKey { get; }

    public byte[] Salt { get; }

    public byte[] NoncePrefix { get; }

    public int Length => MinHeaderLength - 2 + KeyId.Length + WrappedKey.Length + BindingLength(Version); // MinHeaderLength counts 1-byte key id and wrapped key

    /// <summary>Offset of the commitment; the MAC follows it and ends the header.</summary>
    public int CommitmentOffset => Length - MacLength - CommitmentLength;

    public static bool IsValidKeyId(string keyId) =>
        keyId.Length is >= 1 and <= MaxKeyIdLength && keyId.All(c => c is > ' ' and < (char)127);

    private static int BindingLength(byte version) => version == FormatV1.Version2 ? WriteBindingLength : 0;

    /// <summary>Reads the total header length from the first <see cref="FixedPrefixLength"/> bytes, refusing anything not format 1 or 2.</summary>
    public static int ReadLength(ReadOnlySpan<byte> prefix)
    {
        if (prefix.Length < FixedPrefixLength || !prefix[..4].SequenceEqual(Magic))
        {
            throw FormatV1.Corrupt("The stored object is not in Hds.Storage format 1 (bad magic).");
        }

        if (prefix[4] is not (FormatV1.Version or FormatV1.Version2))
        {
            throw FormatV1.Corrupt("The stored object has an unsupported format version.");
        }

        if (prefix[5] != FormatV1.Suite)
        {
            throw FormatV1.Corrupt("The stored object uses an unsupported algorithm suite.");
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(prefix[6..]);
        if (length < MinHeaderLength + BindingLength(prefix[4]) || length > MaxHeaderLength)
        {
            throw FormatV1.Corrupt("The stored object's header length is out of bounds.");
        }

        return length;
    }

    /// <summary>Parses a whole header (exactly <see cref="ReadLength"/> bytes); structural checks only.</summary>
    public static FormatV1Header Parse(ReadOnlySpan<byte> header)
    {
        var length = ReadLength(header);
        var version = header[4];
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
            || pos + wrappedLength + SaltLength + NoncePrefixLength + BindingLength(version) + CommitmentLength + MacLength != length)
        {
            throw FormatV1.Corrupt("The stored object's wrapped key is malformed.");
        }

        var wrapped = header.Slice(pos, wrappedLength).ToArray();
        pos += wrappedLength;
        var salt = header.Slice(pos, SaltLength).ToArray();
        pos += SaltLength;
        var prefix = header.Slice(pos, NoncePrefixLength).ToArray();
        pos += NoncePrefixLength;
        if (version != FormatV1.Version2)
        {
            return new FormatV1Header(segmentSize, keyId, wrapped, salt, prefix);
        }

        var writeId = header.Slice(pos, WriteIdLength).ToArray();
        var writtenAt = BinaryPrimitives.ReadInt64BigEndian(header[(pos + WriteIdLength)..]);
        return new FormatV1Header(segmentSize, keyId, wrapped, salt, prefix, version, writeId, writtenAt);
    }

    /// <summary>Writes every field up to and excluding the commitment and the MAC.</summary>
    public void WriteFields(Span<byte> destination)
    {
        Magic.CopyTo(destination);
        destination[4] = Version;
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
        pos += NoncePrefixLength;
        if (Version == FormatV1.Version2)
        {
            WriteId.CopyTo(destination[pos..]);
            BinaryPrimitives.WriteInt64BigEndian(destination[(pos + WriteIdLength)..], WrittenAtMs);
        }
    }
}
