using Hds.Storage.Access;
using Hds.Storage.Backends;
using Hds.Storage.Objects;

namespace Hds.Storage.Backends.S3.Sites;

/// <summary>
/// One logical write, two physical versions: after a partition (a write's answer lost on one site, the retry stored on another
/// that could not ask the first), replication brings both versions of the same attempt to every site. Both hold the same bytes
/// (the retry sends the same ciphertext: same ETag, same length) and the same attempt id (metadata <c>hds-attempt</c>, the
/// identity of a write). Version lists present one of them — the newest, the one the successful try stored and its receipt
/// names — and verification reports the others. Candidates come from the listing (ETag and length: no extra request for the
/// usual key with no duplicate); only a candidate pair is confirmed by its attempt ids (one HEAD each).
/// </summary>
internal static class DuplicateWrites
{
    /// <summary>The versions, newest first, with each extra physical version of one write left out.</summary>
    public static async Task<IReadOnlyList<BackendVersion>> PresentOneAsync(
        StorageBackend backend, string key, IReadOnlyList<BackendVersion> versions, OperationContext? operation, CancellationToken cancellationToken)
    {
        var hidden = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in Candidates(versions))
        {
            var kept = group[0]; // newest first: the successful try's version
            foreach (var other in group.Skip(1))
            {
                if (await SameAttemptAsync(backend, key, kept.VersionId, other.VersionId, operation, cancellationToken).ConfigureAwait(false))
                {
                    hidden.Add(other.VersionId);
                }
            }
        }

        return hidden.Count == 0 ? versions : versions.Where(v => !hidden.Contains(v.VersionId)).ToList();
    }

    /// <summary>The other physical versions of the write that stored <paramref name="versionId"/> (empty when it was stored once).</summary>
    public static async Task<IReadOnlyList<string>> OfAsync(
        StorageBackend backend, string key, string versionId, OperationContext? operation, CancellationToken cancellationToken)
    {
        var versions = await backend.ListVersionsAsync(key, operation, cancellationToken).ConfigureAwait(false);
        var group = Candidates(versions).FirstOrDefault(g => g.Any(v => v.VersionId == versionId));
        var duplicates = new List<string>();
        foreach (var other in group?.Where(v => v.VersionId != versionId) ?? [])
        {
            if (await SameAttemptAsync(backend, key, versionId, other.VersionId, operation, cancellationToken).ConfigureAwait(false))
            {
                duplicates.Add(other.VersionId);
            }
        }

        return duplicates;
    }

    // Versions (not delete markers) sharing ETag and length, newest first within each group.
    private static IEnumerable<List<BackendVersion>> Candidates(IReadOnlyList<BackendVersion> versions) =>
        versions
            .Where(v => !v.IsDeleteMarker && !string.IsNullOrEmpty(v.ETag))
            .GroupBy(v => (v.ETag, v.StoredLength))
            .Where(g => g.Count() > 1)
            .Select(g => g.OrderByDescending(v => v.LastModified).ThenByDescending(v => v.IsLatest).ToList());

    private static async Task<bool> SameAttemptAsync(
        StorageBackend backend, string key, string a, string b, OperationContext? operation, CancellationToken cancellationToken)
    {
        var first = AttemptOf(await backend.HeadAsync(key, a, operation, cancellationToken).ConfigureAwait(false));
        var second = AttemptOf(await backend.HeadAsync(key, b, operation, cancellationToken).ConfigureAwait(false));
        return first is not null && string.Equals(first, second, StringComparison.Ordinal);
    }

    // "<write id>.<try>": the write id is the identity, the try number differs between the two copies.
    private static string? AttemptOf(BackendObjectHead head) =>
        head.Metadata.TryGetValue(MetadataNames.Attempt, out var value) && value.LastIndexOf('.') is > 0 and var dot ? value[..dot] : null;
}
