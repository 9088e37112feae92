using System.Security.Cryptography;
using Hds.Storage.Objects;

namespace Hds.Storage.Encryption;

/// <summary>
/// Format 2's answer to replay (docs/format.md §6.1): the authenticated header names the write (a random write id, also in the
/// version's metadata and the receipt, and the time the writer began it) and the sealed trailer says when the writer finished.
/// A bucket writer can store an older version's bytes again as the newest version, but the storage dates that new version now:
/// its LastModified falls after the old write's seal time (plus <see cref="Tolerance"/>) and the read is refused.
/// </summary>
/// <param name="WriteId">The write id from the header.</param>
/// <param name="WrittenAt">When the writer began the write (header).</param>
/// <param name="LastModified">The date the storage gives the version read.</param>
internal sealed record WriteBinding(byte[] WriteId, DateTimeOffset WrittenAt, DateTimeOffset LastModified)
{
    /// <summary>
    /// How far the storage's date of a version may fall outside [write began, write sealed]: clock skew between writer and storage
    /// (S3 signatures already refuse more than 15 minutes) plus the requests that follow the seal (the last part and the completion
    /// of a multipart upload, or the single PUT of a small object, on RGW dated at initiation or completion). A replay is refused
    /// once made more than this after the original write; the writer checks its own version against the same window.
    /// </summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The binding of a version 2 header, checked against the version's metadata (write id) and date (not before the write began);
    /// null for version 1, which has none.
    /// </summary>
    /// <exception cref="HdsIntegrityException">The metadata names another write, or the version is dated before the write began.</exception>
    public static WriteBinding? Check(FormatV1Header header, StoredVersion version)
    {
        if (header.Version != FormatV1.Version2)
        {
            return null;
        }

        var binding = new WriteBinding(header.WriteId, FromUnixMilliseconds(header.WrittenAtMs), version.LastModified);
        var named = version.Metadata.GetValueOrDefault(MetadataNames.WriteId) is { Length: FormatV1Header.WriteIdLength * 2 } hex && IsHex(hex)
            ? Convert.FromHexString(hex)
            : null;
        if (named is null || !CryptographicOperations.FixedTimeEquals(named, header.WriteId))
        {
            throw FormatV1.Corrupt("The stored version's bytes belong to another write than the version's metadata names: they were swapped or replayed.");
        }

        if (version.LastModified < binding.WrittenAt - Tolerance)
        {
            throw FormatV1.Corrupt("The stored version is dated before its write began: it was tampered with (or the storage clock is far off).");
        }

        return binding;
    }

    /// <summary>The problem when the version is dated after the write was sealed (plus the tolerance): a replay. Null when consistent.</summary>
    public string? CheckSealedAt(long sealedAtMs) =>
        sealedAtMs is > MinUnixMilliseconds and < MaxUnixMilliseconds && LastModified <= FromUnixMilliseconds(sealedAtMs) + Tolerance
            ? null
            : "The stored version is an older write stored again as the newest version (dated well after that write was sealed): a rollback. Read the version the receipt names.";

    /// <summary>Whether a version dated <paramref name="lastModified"/> will pass the read checks of a write made in <paramref name="window"/>.</summary>
    public static bool IsWithin((DateTimeOffset Began, DateTimeOffset Sealed) window, DateTimeOffset lastModified) =>
        lastModified >= window.Began - Tolerance && lastModified <= window.Sealed + Tolerance;

    // Authenticated values, but a reader never throws anything else than its typed errors: out-of-range times are refused.
    private const long MinUnixMilliseconds = 0;
    private const long MaxUnixMilliseconds = 253_402_300_799_999 - (30 * 60 * 1000); // year 9999 minus the tolerance

    private static DateTimeOffset FromUnixMilliseconds(long milliseconds) =>
        milliseconds is > MinUnixMilliseconds and < MaxUnixMilliseconds
            ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)
            : throw FormatV1.Corrupt("The stored object's write time is out of range: it was tampered with.");

    private static bool IsHex(string text) => text.All(char.IsAsciiHexDigitLower);
}
