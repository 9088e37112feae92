using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hds.Storage.Access;
using Hds.Storage.Backends;
using Hds.Storage.Objects;
using Hds.Storage.Models;

namespace Hds.Storage.Keys;

/// <summary>
/// Persists key-ring entries in the store itself, one object per key under "_hds/keys/{id}.p7m": CMS EnvelopedData (AES-256-CBC
/// content encryption, RSA-OAEP-SHA256 key transport) to every configured certificate. A change (revocation, rewrap) is a new
/// version of the same object; every version is locked like the data it protects.
/// </summary>
internal sealed partial class KeyRingStore
{
    public const string Prefix = ObjectKeys.ReservedPrefix + "keys/";
    private const string Suffix = ".p7m";
    private const int IdLength = 29; // yyyyMMddTHHmmssZ-<12 hex>

    private readonly StorageBackend _backend;
    private readonly IReadOnlyList<X509Certificate2> _certificates;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private readonly HashSet<string> _signerThumbprints;

    public KeyRingStore(StorageBackend backend, IReadOnlyList<X509Certificate2> certificates, TimeSpan retention, TimeProvider time)
    {
        _backend = backend;
        _certificates = certificates;
        _retention = retention;
        _time = time;
        _signerThumbprints = certificates.Select(c => c.GetCertHashString(HashAlgorithmName.SHA256)).ToHashSet(StringComparer.OrdinalIgnoreCase);
    }

    public static string PhysicalKey(string id) => Prefix + id + Suffix;

    /// <summary>
    /// Reads every entry, each merged across all its versions (<see cref="Merge"/>); an entry no configured certificate opens is
    /// returned unavailable (no key). Objects under "_hds/keys/" whose name is not a key-ring id are skipped: no header can name
    /// them (key ids are checked against <see cref="IsValidId"/> before any lookup), so they can neither serve nor block a read.
    /// </summary>
    public async Task<List<LoadedEntry>> LoadAllAsync(OperationContext? operation, CancellationToken cancellationToken)
    {
        var result = new List<LoadedEntry>();
        string? token = null;
        do
        {
            var page = await _backend.ListAsync(Prefix, token, 1000, operation, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                if (!item.Key.EndsWith(Suffix, StringComparison.Ordinal) || !IsValidId(item.Key[Prefix.Length..^Suffix.Length]))
                {
                    continue;
                }

                if (await LoadAsync(item.Key[Prefix.Length..^Suffix.Length], operation, cancellationToken).ConfigureAwait(false) is { } loaded)
                {
                    result.Add(loaded);
                }
            }

            token = page.ContinuationToken;
        }
        while (token is not null);

        return result;
    }

    /// <summary>
    /// Whether <paramref name="id"/> has the syntax of the ids this key ring creates: <c>yyyyMMddTHHmmssZ-</c> and 12 lowercase
    /// hexadecimal digits (docs/format.md §9). Checked before an id read from a header or a listing is looked up or named in a message.
    /// </summary>
    public static bool IsValidId(string id)
    {
        if (id.Length != IdLength || id[8] != 'T' || id[15] != 'Z' || id[16] != '-')
        {
            return false;
        }

        for (var i = 0; i < IdLength; i++)
        {
            var ok = i switch
            {
                8 or 15 or 16 => true,
                < 16 => char.IsAsciiDigit(id[i]),
                _ => char.IsAsciiDigit(id[i]) || id[i] is >= 'a' and <= 'f',
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Reads every version of one entry (they are all locked: a bucket writer can add versions, not remove them) and merges them
    /// (<see cref="Merge"/>). <see langword="null"/> when the entry has no version left (hidden by a delete marker meanwhile).
    /// With <paramref name="anySite"/> (an entry an object names, unknown to the serving site) every site is asked within the
    /// replication lag bound (<see cref="StorageBackend.ListVersionsOnAnySiteAsync"/>).
    /// </summary>
    public async Task<LoadedEntry?> LoadAsync(string id, OperationContext? operation, CancellationToken cancellationToken, bool anySite = false)
    {
        var key = PhysicalKey(id);
        var versions = anySite
            ? await _backend.ListVersionsOnAnySiteAsync(key, operation, cancellationToken).ConfigureAwait(false)
            : await _backend.ListVersionsAsync(key, operation, cancellationToken).ConfigureAwait(false);
        var opened = new List<(HdsKeyRingEntry Entry, byte[]? Kek)>();
        try
        {
            foreach (var version in versions.Where(v => !v.IsDeleteMarker))
            {
                opened.Add(await LoadVersionAsync(id, key, version.VersionId, operation, cancellationToken).ConfigureAwait(false));
            }

            return opened.Count == 0 ? null : Merge(id, opened);
        }
        finally
        {
            foreach (var (_, kek) in opened)
            {
                if (kek is not null)
                {
                    CryptographicOperations.ZeroMemory(kek);
                }
            }
        }
    }

    /// <summary>
    /// The state of an entry across its versions (newest first), each already verified: state that may only move forward keeps
    /// its most advanced value whatever version is the newest — revoked if any version is revoked (earliest revocation), the
    /// latest activation, the earliest expiry — so re-storing an older version (a rollback) cannot undo a revocation. The key
    /// material must be the same in every version. Versions no configured certificate opens cannot be verified and do not count
    /// (a rewrap keeps the state, so the versions encrypted to the current certificates carry it). The returned KEK is a new
    /// pinned array the caller owns.
    /// </summary>
    internal static LoadedEntry Merge(string id, IReadOnlyList<(HdsKeyRingEntry Entry, byte[]? Kek)> versions)
    {
        var verified = versions.Where(v => v.Kek is not null).ToList();
        if (verified.Count == 0)
        {
            return new LoadedEntry(versions[0].Entry, null, RolledBack: false);
        }

        var newest = verified[0].Entry;
        var kek = verified[0].Kek!;
        if (verified.Any(v => !CryptographicOperations.FixedTimeEquals(v.Kek, kek)))
        {
            throw Unverifiable(id);
        }

        var revoked = verified.Select(v => v.Entry.RevokedAt).Where(r => r is not null).Min();
        var merged = newest with
        {
            CreatedAt = verified.Min(v => v.Entry.CreatedAt),
            ActivatesAt = verified.Max(v => v.Entry.ActivatesAt),
            ExpiresAt = verified.Min(v => v.Entry.ExpiresAt),
            RevokedAt = revoked,
        };
        var rolledBack = merged.RevokedAt != newest.RevokedAt || merged.ActivatesAt != newest.ActivatesAt || merged.ExpiresAt != newest.ExpiresAt
            || merged.CreatedAt != newest.CreatedAt;
        var copy = GC.AllocateUninitializedArray<byte>(KeyRingPayload.KekLength, pinned: true);
        kek.CopyTo(copy, 0);
        return new LoadedEntry(merged, copy, rolledBack);
    }
}

/// <summary>An entry as merged across its versions; <paramref name="RolledBack"/> when its newest version is behind the merged state.</summary>
internal sealed record LoadedEntry(HdsKeyRingEntry Entry, byte[]? Kek, bool RolledBack);
