using Hds.Storage.IO;

namespace Hds.Storage.Encryption;

/// <summary>
/// The seam where content is turned into stored bytes and back, one segment at a time (docs/format.md).
/// An encoder is a read-only stream: the backend pulls stored bytes from it while it pulls plaintext from the caller, so nothing
/// is buffered beyond one segment. A decoder is a read-only stream that only ever returns verified plaintext.
/// </summary>
internal abstract class ContentCodec
{
    /// <summary>Starts encoding <paramref name="plaintext"/> for the object <paramref name="identity"/>.</summary>
    public abstract ValueTask<ContentEncoder> CreateEncoderAsync(Stream plaintext, ObjectIdentity identity, CancellationToken cancellationToken);

    /// <summary>Starts decoding a whole stored object read from the backend.</summary>
    /// <param name="stored">The stored bytes.</param>
    /// <param name="identity">The identity the object must have been written for.</param>
    /// <param name="version">What the storage says about the version (its date and metadata), checked against the write binding.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public abstract ValueTask<ContentDecoder> CreateDecoderAsync(
        Stream stored, ObjectIdentity identity, StoredVersion version, CancellationToken cancellationToken);

    /// <summary>How many leading stored bytes always hold the whole header: a ranged read fetches this much first.</summary>
    public abstract int MaxHeaderLength { get; }

    /// <summary>
    /// A stored byte range that holds content bytes [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>)
    /// whatever the header's length, assuming the object was written with this codec's segment size; fetched at the same time
    /// as the header, it saves a round trip when the guess holds (checked against the verified header before use).
    /// </summary>
    /// <param name="offset">The first content byte.</param>
    /// <param name="length">How many content bytes (positive).</param>
    /// <returns>The range, or <see langword="null"/> when no guess is possible.</returns>
    public virtual Backends.ByteRange? EstimateStoredRange(long offset, long length) => null;

    /// <summary>
    /// Verifies the header at the start of <paramref name="storedPrefix"/> and plans a ranged read of content bytes
    /// [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>) (clamped to the content's end).
    /// </summary>
    /// <param name="storedPrefix">The first stored bytes (at least the header; up to <see cref="MaxHeaderLength"/>).</param>
    /// <param name="storedLength">The stored length the storage reports (not trusted: checked by the last segment).</param>
    /// <param name="identity">The identity the object must have been written for.</param>
    /// <param name="version">What the storage says about the version (its date and metadata), checked against the write binding.</param>
    /// <param name="offset">The first content byte.</param>
    /// <param name="length">How many content bytes.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public abstract ValueTask<RangedRead> OpenRangeAsync(
        ReadOnlyMemory<byte> storedPrefix, long storedLength, ObjectIdentity identity, StoredVersion version, long offset, long length, CancellationToken cancellationToken);

    /// <summary>
    /// Health-check hook for the key ring: whether the keys needed to write (current key-encryption key) and read are available.
    /// The codec that uses a key ring overrides it; the health check (<see cref="HdsStorageHealthCheck"/>) reports it.
    /// </summary>
    public virtual ValueTask<KeyRingHealth> CheckKeyRingAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(new KeyRingHealth(true, "no key ring in use"));
}

/// <summary>What the key-ring hook of the health check found.</summary>
/// <param name="Available">Whether writes and reads can get their keys.</param>
/// <param name="Description">For the health report: no key material, no key ids needed.</param>
internal readonly record struct KeyRingHealth(bool Available, string Description);

/// <summary>The identity bound into every object: a ciphertext moved to another tenant or key does not decode.</summary>
/// <param name="Tenant">The tenant (scheme).</param>
/// <param name="Key">The logical object key within the tenant.</param>
internal readonly record struct ObjectIdentity(string Tenant, string Key);

/// <summary>What the storage says about the version being read (not trusted: checked against what the format authenticates).</summary>
/// <param name="LastModified">The version's date.</param>
/// <param name="Metadata">The version's user metadata.</param>
internal readonly record struct StoredVersion(DateTimeOffset LastModified, IReadOnlyDictionary<string, string> Metadata);

/// <summary>What an encoder sealed into the object, or what a decoder verified, once the stream was read to its end.</summary>
/// <param name="PlaintextLength">Length of the content.</param>
/// <param name="PlaintextSha256">SHA-256 of the content.</param>
/// <param name="StoredLength">Length of the stored bytes.</param>
/// <param name="KeyId">Identifier of the key-encryption key, when encrypted.</param>
/// <param name="FormatVersion">The stored format version.</param>
/// <param name="WriteId">Format 2: the write id (lowercase hex); null in format 1.</param>
/// <param name="WriteWindow">Format 2, encoder only: when the write began and was sealed (writer's clock).</param>
internal sealed record ContentSeal(
    long PlaintextLength, byte[] PlaintextSha256, long StoredLength, string? KeyId, int FormatVersion, string? WriteId = null,
    (DateTimeOffset Began, DateTimeOffset Sealed)? WriteWindow = null);

/// <summary>A read-only, forward-only stream of stored bytes.</summary>
internal abstract class ContentEncoder : ReadOnlyForwardStream
{
    /// <summary>Metadata to store with the object, known before the first byte is read (format version, key id).</summary>
    public abstract IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The seal, available once the stream returned 0 (end); <see langword="null"/> before.</summary>
    public abstract ContentSeal? Seal { get; }
}

/// <summary>A read-only, forward-only stream of verified plaintext; throws <see cref="HdsIntegrityException"/> on any mismatch.</summary>
internal abstract class ContentDecoder : ReadOnlyForwardStream
{
    /// <summary>What was verified, available once the stream returned 0 (end); <see langword="null"/> before.</summary>
    public abstract ContentSeal? Seal { get; }
}
