using System.Globalization;
using Hds.Storage.Access;
using Hds.Storage.Backends;
using Hds.Storage.Locking;
using Hds.Storage.Objects;
using Hds.Storage.Retention;
using Microsoft.Extensions.Logging;
using Hds.Storage.Models;

namespace Hds.Storage.Audit;

/// <summary>
/// The audit trail's objects in the bucket, written through the backend directly (user keys may not use the reserved prefix):
/// <c>_hds/audit/{node}/segments/{first:D20}-{last:D20}-{firstUnixMs}-{lastUnixMs}.jsonl</c> (records as stored lines) and
/// <c>_hds/audit/{node}/checkpoints/{seq:D20}.p7s</c> (CMS SignedData). Every object is retention-locked and the lock verified.
/// A store is bound to the operation its requests run for (<see cref="For"/>): the writer's uploads run as the system operation
/// <see cref="UploadOperation"/>, a verification or search as the client operation that asked for it.
/// </summary>
internal sealed class AuditStore(
    StorageBackend backend, Func<HdsRetentionInfo> retention, BucketGate? bucketGate = null, ILogger? logger = null, OperationContext? operation = null)
{
    public const string Prefix = ObjectKeys.ReservedPrefix + "audit/";
    private const string SegmentsFolder = "/segments/";
    private const string CheckpointsFolder = "/checkpoints/";
    private static readonly HdsAccessContext SystemContext = new("hds-audit", "hds-system", HdsAuthorizationOptions.AuditPurpose) { ActorKind = "service" };
    private readonly BucketGate _bucketGate = bucketGate ?? new BucketGate(backend, logger);
    private readonly LockedWriter _writer = new(backend, logger);

    public static string SegmentKey(string node, long first, long last, DateTimeOffset firstTime, DateTimeOffset lastTime) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Prefix}{node}{SegmentsFolder}{first:D20}-{last:D20}-{firstTime.ToUnixTimeMilliseconds()}-{lastTime.ToUnixTimeMilliseconds()}.jsonl");

    public static string CheckpointKey(string node, long sequence) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{node}{CheckpointsFolder}{sequence:D20}.p7s");

    /// <summary>The system operation of a writer node's uploads (and its reconciliation with the store), as the SDK's service actor.</summary>
    public static OperationContext UploadOperation(string node) => OperationContext.ForSystem(SystemContext, node, "AuditUpload");

    /// <summary>The same store, its requests run for <paramref name="operation"/>.</summary>
    public AuditStore For(OperationContext? operation) => new(backend, retention, _bucketGate, logger, operation);

    /// <summary>
    /// Writes one audit object and returns once it is verified locked by the audit retention, by the same rule as documents and
    /// key-ring entries (<see cref="LockedWriter"/>): a shorter or weaker lock is refused and the object removed. On a bucket without
    /// object lock nothing is written: the segments stay in the local spool until the bucket is fixed.
    /// </summary>
    public async Task PutLockedAsync(string key, byte[] content, string contentType, CancellationToken cancellationToken)
    {
        await _bucketGate.EnsureAsync(operation, cancellationToken).ConfigureAwait(false);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal) { [MetadataNames.AuditFormat] = "1" };
        await _writer.WriteAsync(new BackendWriteRequest(key, contentType, metadata, retention()), new MemoryStream(content, writable: false), operation, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Every key under the audit prefix, in key order.</summary>
    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken) => ListAsync(Prefix, cancellationToken);

    /// <summary>Every key of one writer node, in key order.</summary>
    public Task<IReadOnlyList<string>> ListNodeAsync(string node, CancellationToken cancellationToken) => ListAsync(Prefix + node + "/", cancellationToken);

    private async Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await backend.ListAsync(prefix, token, 1000, operation, cancellationToken).ConfigureAwait(false);
            keys.AddRange(page.Items.Select(i => i.Key));
            token = page.ContinuationToken;
        }
        while (token is not null);
        return keys;
    }

    /// <summary>
    /// The whole history under <paramref name="prefix"/> (the audit prefix by default): every version and delete marker of every key,
    /// grouped by key in key order, each key's entries newest first.
    /// </summary>
    public async Task<IReadOnlyList<AuditObjectHistory>> ListHistoryAsync(string? prefix, CancellationToken cancellationToken)
    {
        var all = await backend.ListHistoryAsync(prefix ?? Prefix, operation, cancellationToken).ConfigureAwait(false);
        var result = new List<AuditObjectHistory>();
        foreach (var group in all.GroupBy(v => v.Key, StringComparer.Ordinal))
        {
            var entries = group.ToList();
            result.Add(new AuditObjectHistory(
                group.Key,
                entries.Where(v => !v.IsDeleteMarker).ToList(),
                entries.Where(v => v.IsDeleteMarker).ToList()));
        }

        result.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return result;
    }

    /// <summary>The history of one writer node.</summary>
    public Task<IReadOnlyList<AuditObjectHistory>> ListNodeHistoryAsync(string node, CancellationToken cancellationToken) =>
        ListHistoryAsync(Prefix + node + "/", cancellationToken);

    public async Task<byte[]> ReadAsync(string key, CancellationToken cancellationToken) => await ReadAsync(key, null, cancellationToken).ConfigureAwait(false);

    public async Task<byte[]> ReadAsync(string key, string? versionId, CancellationToken cancellationToken)
    {
        var read = await backend.GetAsync(key, versionId, null, operation, cancellationToken).ConfigureAwait(false);
        await using (read.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            await read.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            return buffer.ToArray();
        }
    }

    /// <summary>
    /// The version of <paramref name="physicalKey"/> that the write announced by <paramref name="intentId"/> stored (its metadata
    /// names the intent), looking at versions stored since <paramref name="since"/>; null when that write stored nothing.
    /// </summary>
    public async Task<BackendObjectHead?> FindIntentVersionAsync(string physicalKey, string intentId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        foreach (var version in await backend.ListVersionsAsync(physicalKey, operation, cancellationToken).ConfigureAwait(false))
        {
            if (version.IsDeleteMarker || version.LastModified < since)
            {
                continue;
            }

            var head = await backend.HeadAsync(physicalKey, version.VersionId, operation, cancellationToken).ConfigureAwait(false);
            if (head.Metadata.TryGetValue(MetadataNames.AuditIntent, out var stored) && string.Equals(stored, intentId, StringComparison.Ordinal))
            {
                return head;
            }
        }

        return null;
    }

    /// <summary>Parses an audit object key; false for a key the log never writes.</summary>
    public static bool TryParse(string key, out AuditObjectName name)
    {
        name = default;
        if (!key.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = key[Prefix.Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0)
        {
            return false;
        }

        var node = rest[..slash];
        var tail = rest[slash..];
        if (tail.StartsWith(SegmentsFolder, StringComparison.Ordinal) && tail.EndsWith(".jsonl", StringComparison.Ordinal))
        {
            var parts = tail[SegmentsFolder.Length..^".jsonl".Length].Split('-');
            if (parts.Length == 4 && parts[0].Length == 20 && parts[1].Length == 20
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var last)
                && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var t0)
                && long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var t1)
                && first >= 1 && last >= first)
            {
                name = new AuditObjectName(key, node, IsCheckpoint: false, first, last,
                    DateTimeOffset.FromUnixTimeMilliseconds(t0), DateTimeOffset.FromUnixTimeMilliseconds(t1));
                return true;
            }

            return false;
        }

        if (tail.StartsWith(CheckpointsFolder, StringComparison.Ordinal) && tail.EndsWith(".p7s", StringComparison.Ordinal))
        {
            var digits = tail[CheckpointsFolder.Length..^".p7s".Length];
            if (digits.Length == 20 && long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) && seq >= 1)
            {
                name = new AuditObjectName(key, node, IsCheckpoint: true, seq, seq, default, default);
                return true;
            }
        }

        return false;
    }
}

/// <summary>
/// Everything ever stored under one audit key: its versions (newest first) and delete markers. The log writes each key once, so
/// the first version stored (<see cref="Original"/>) is the writer's; any further version or any delete marker is an attack (or a
/// mistake) that verification reports.
/// </summary>
internal sealed record AuditObjectHistory(string Key, IReadOnlyList<BackendVersion> Versions, IReadOnlyList<BackendVersion> DeleteMarkers)
{
    /// <summary>The oldest version, or null when the key holds delete markers only.</summary>
    public BackendVersion? Original => Versions.Count > 0 ? Versions[^1] : null;
}

/// <summary>A parsed audit object key (names are not trusted: verification checks them against the content).</summary>
internal readonly record struct AuditObjectName(
    string Key, string Node, bool IsCheckpoint, long First, long Last, DateTimeOffset FirstTime, DateTimeOffset LastTime)
{
    /// <summary>The version read (the key's original one), null for the latest.</summary>
    public string? VersionId { get; init; }

    /// <summary>When the storage says the version was stored.</summary>
    public DateTimeOffset StoredAt { get; init; }
}
