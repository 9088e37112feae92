using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Hds.Storage.Access;
using Hds.Storage.IO;
using Hds.Storage.Models;
using Hds.Storage.Retention;

namespace Hds.Storage.Backends.Local;

/// <summary>
/// The embedded store: a directory with S3 Object Lock semantics (versions, delete markers, retention that only grows, legal
/// hold, refusal to destroy locked versions), so samples, tests and offline development behave as against S3.
/// Layout: objects/{sha256(key)}/{versionId}.bin + .json; the .json is written last (atomic rename) and is the commit point,
/// so a crash mid-write leaves no visible version. One process at a time should own a store directory.
/// </summary>
internal sealed class LocalBackend : StorageBackend
{
    /// <summary>The site name the embedded store reports for the audit trail (it is one site).</summary>
    public const string SiteName = "local";

    /// <summary>The file that makes a directory an embedded store (written by the first bucket check, that is by <c>hds bucket create --local</c>).</summary>
    internal const string ManifestFile = "hds-store.json";
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> KeyLocks = new(StringComparer.Ordinal);
    private static long s_lastTicks;

    private readonly string _root;
    private readonly string _objects;
    private readonly string _tmp;
    private readonly TimeProvider _time;

    public LocalBackend(HdsLocalStorageOptions options, TimeProvider time)
    {
        _root = options.FullPath;
        _objects = Path.Combine(_root, "objects");
        _tmp = Path.Combine(_root, "tmp");
        _time = time;
    }

    public override string Location => _root;

    public override async Task<HdsBucketCompliance> CheckBucketAsync(OperationContext? operation, CancellationToken cancellationToken)
    {
        var manifestPath = Path.Combine(_root, ManifestFile);
        if (!File.Exists(manifestPath))
        {
            // A new embedded store is created compliant, as "hds bucket create" does on S3.
            Directory.CreateDirectory(_root);
            var fresh = new LocalStoreManifest("Enabled", true, 1);
            await File.WriteAllTextAsync(manifestPath, JsonSerializer.Serialize(fresh, LocalStoreJson.Default.LocalStoreManifest), cancellationToken)
                .ConfigureAwait(false);
        }

        LocalStoreManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(await File.ReadAllTextAsync(manifestPath, cancellationToken).ConfigureAwait(false), LocalStoreJson.Default.LocalStoreManifest);
        }
        catch (JsonException ex)
        {
            throw new HdsConfigurationException($"The local store manifest {ManifestFile} is unreadable; restore it from a backup.", ex);
        }

        Directory.CreateDirectory(_objects);
        Directory.CreateDirectory(_tmp);
        return new HdsBucketCompliance(_root, manifest?.Versioning == "Enabled", manifest?.ObjectLockEnabled == true);
    }

    public override async Task<BackendWriteResult> PutAsync(BackendWriteRequest request, Stream body, OperationContext? operation, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_tmp);
        var tmpData = Path.Combine(_tmp, Guid.NewGuid().ToString("N"));
        long length = 0;
        string etag;
        try
        {
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            var file = new FileStream(tmpData, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
                try
                {
                    int n;
                    while ((n = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        md5.AppendData(buffer, 0, n);
                        await file.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                        length += n;
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }

                file.Flush(flushToDisk: true);
            }

            etag = Convert.ToHexStringLower(md5.GetHashAndReset());
            var dir = ObjectDirectory(request.Key);
            Directory.CreateDirectory(dir);
            var versionId = NewVersionId();
            var record = new LocalVersionRecord(
                request.Key, versionId, false, length, _time.GetUtcNow(), request.ContentType, new Dictionary<string, string>(request.Metadata),
                request.Retention.Mode, request.Retention.Mode == HdsRetentionMode.None ? null : request.Retention.RetainUntil, request.Retention.LegalHold, etag);
            File.Move(tmpData, DataPath(dir, versionId));
            await WriteRecordAsync(dir, record, cancellationToken).ConfigureAwait(false);
            return new BackendWriteResult(versionId, length, etag) { Site = SiteName };
        }
        finally
        {
            File.Delete(tmpData);
        }
    }

    public override async Task<BackendReadResult> GetAsync(string key, string? versionId, ByteRange? range, OperationContext? operation, CancellationToken cancellationToken)
    {
        var record = await FindAsync(key, versionId, cancellationToken).ConfigureAwait(false);
        var head = ToHead(record);
        Stream stream = new FileStream(DataPath(ObjectDirectory(key), record.VersionId), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        if (range is { } r)
        {
            if (r.Offset < 0 || r.Length < 0 || r.Offset > record.Length)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                throw new HdsInvalidRequestException("The requested range is outside the stored object.");
            }

            stream.Position = r.Offset;
            stream = new BoundedReadStream(stream, Math.Min(r.Length, record.Length - r.Offset));
        }

        return new BackendReadResult(stream, head) { Site = SiteName };
    }

    public override async Task<BackendObjectHead> HeadAsync(string key, string? versionId, OperationContext? operation, CancellationToken cancellationToken) =>
        ToHead(await FindAsync(key, versionId, cancellationToken).ConfigureAwait(false));

    public override async Task<BackendListPage> ListAsync(string prefix, string? continuationToken, int pageSize, OperationContext? operation, CancellationToken cancellationToken)
    {
        var after = continuationToken is null ? null : DecodeToken(continuationToken);
        var latest = new List<LocalVersionRecord>();
        if (Directory.Exists(_objects))
        {
            foreach (var dir in Directory.EnumerateDirectories(_objects))
            {
                var records = await ReadVersionsAsync(dir, cancellationToken).ConfigureAwait(false);
                if (records.Count > 0 && !records[0].DeleteMarker && records[0].Key.StartsWith(prefix, StringComparison.Ordinal)
                    && (after is null || string.CompareOrdinal(records[0].Key, after) > 0))
                {
                    latest.Add(records[0]);
                }
            }
        }

        latest.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        var page = latest.Take(pageSize).Select(r => new HdsObjectItem(r.Key, r.Length, r.LastModified)).ToList();
        var token = latest.Count > pageSize ? EncodeToken(page[^1].Key) : null;
        return new BackendListPage(page, token);
    }

    public override async Task<IReadOnlyList<BackendVersion>> ListVersionsAsync(string key, OperationContext? operation, CancellationToken cancellationToken)
    {
        var records = await ReadVersionsAsync(ObjectDirectory(key), cancellationToken).ConfigureAwait(false);
        return records.Select((r, i) => new BackendVersion(r.Key, r.VersionId, i == 0, r.DeleteMarker, r.Length, r.LastModified)).ToList();
    }

    public override async Task<IReadOnlyList<BackendVersion>> ListHistoryAsync(string prefix, OperationContext? operation, CancellationToken cancellationToken)
    {
        var keys = new List<List<LocalVersionRecord>>();
        if (Directory.Exists(_objects))
        {
            foreach (var dir in Directory.EnumerateDirectories(_objects))
            {
                var records = await ReadVersionsAsync(dir, cancellationToken).ConfigureAwait(false);
                if (records.Count > 0 && records[0].Key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    keys.Add(records);
                }
            }
        }

        keys.Sort((a, b) => string.CompareOrdinal(a[0].Key, b[0].Key));
        return keys.SelectMany(records => records.Select((r, i) => new BackendVersion(r.Key, r.VersionId, i == 0, r.DeleteMarker, r.Length, r.LastModified))).ToList();
    }

    public override async Task<string> DeleteAsync(string key, OperationContext? operation, CancellationToken cancellationToken)
    {
        var dir = ObjectDirectory(key);
        Directory.CreateDirectory(dir);
        var record = new LocalVersionRecord(key, NewVersionId(), true, 0, _time.GetUtcNow(), null, [], HdsRetentionMode.None, null, false, null);
        await WriteRecordAsync(dir, record, cancellationToken).ConfigureAwait(false);
        return record.VersionId;
    }

    public override async Task DeleteVersionAsync(string key, string versionId, OperationContext? operation, CancellationToken cancellationToken)
    {
        var dir = ObjectDirectory(key);
        var gate = KeyLocks.GetOrAdd(dir, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var record = await FindAsync(key, versionId, cancellationToken).ConfigureAwait(false);
            if (new HdsRetentionInfo(record.Mode, record.RetainUntil, record.LegalHold).IsLockedAt(_time.GetUtcNow()))
            {
                throw new HdsObjectLockedException("The version is under retention or legal hold and cannot be destroyed.");
            }

            File.Delete(RecordPath(dir, versionId));
            File.Delete(DataPath(dir, versionId));
        }
        finally
        {
            gate.Release();
        }
    }

    public override Task SetLegalHoldAsync(string key, string versionId, bool enabled, OperationContext? operation, CancellationToken cancellationToken) =>
        UpdateAsync(key, versionId, r => r with { LegalHold = enabled }, cancellationToken);

    public override Task SetRetentionAsync(string key, string versionId, HdsRetentionMode mode, DateTimeOffset retainUntil, OperationContext? operation, CancellationToken cancellationToken) =>
        UpdateAsync(
            key,
            versionId,
            r =>
            {
                var locked = r.Mode != HdsRetentionMode.None && r.RetainUntil is { } current && current > _time.GetUtcNow();
                if (locked && (retainUntil < r.RetainUntil || (r.Mode == HdsRetentionMode.Compliance && mode != HdsRetentionMode.Compliance)))
                {
                    throw new HdsObjectLockedException("The version's retention cannot be shortened or weakened.");
                }

                return r with { Mode = mode, RetainUntil = retainUntil };
            },
            cancellationToken);

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static string DataPath(string dir, string versionId) => Path.Combine(dir, versionId + ".bin");

    private static string RecordPath(string dir, string versionId) => Path.Combine(dir, versionId + ".json");

    private static string EncodeToken(string key) => Convert.ToBase64String(Encoding.UTF8.GetBytes(key));

    private static string DecodeToken(string token)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(token));
        }
        catch (FormatException ex)
        {
            throw new HdsInvalidRequestException("The continuation token is malformed.", ex);
        }
    }

    // Sortable and unique within the process even when the (fake) clock stands still: the newest version sorts last.
    private string NewVersionId()
    {
        long ticks;
        long last;
        do
        {
            last = Interlocked.Read(ref s_lastTicks);
            ticks = Math.Max(_time.GetUtcNow().UtcTicks, last + 1);
        }
        while (Interlocked.CompareExchange(ref s_lastTicks, ticks, last) != last);

        return ticks.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
    }

    private string ObjectDirectory(string key) =>
        Path.Combine(_objects, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key))));

    private static BackendObjectHead ToHead(LocalVersionRecord r) =>
        new(r.Key, r.VersionId, r.Length, r.LastModified, r.ContentType, r.Metadata, new HdsRetentionInfo(r.Mode, r.RetainUntil, r.LegalHold), r.ETag);

    private static async Task<List<LocalVersionRecord>> ReadVersionsAsync(string dir, CancellationToken cancellationToken)
    {
        var records = new List<LocalVersionRecord>();
        if (!Directory.Exists(dir))
        {
            return records;
        }

        foreach (var file in Directory.EnumerateFiles(dir, "*.json"))
        {
            records.Add(await ReadRecordAsync(file, cancellationToken).ConfigureAwait(false));
        }

        records.Sort((a, b) => string.CompareOrdinal(b.VersionId, a.VersionId));
        return records;
    }

    private static async Task<LocalVersionRecord> ReadRecordAsync(string file, CancellationToken cancellationToken)
    {
        try
        {
            var json = await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false);
            return JsonSerializer.Deserialize(json, LocalStoreJson.Default.LocalVersionRecord)
                ?? throw new HdsIntegrityException("A local store version record is empty.");
        }
        catch (JsonException ex)
        {
            throw new HdsIntegrityException("A local store version record is unreadable.", ex);
        }
    }

    private async Task<LocalVersionRecord> FindAsync(string key, string? versionId, CancellationToken cancellationToken)
    {
        var dir = ObjectDirectory(key);
        LocalVersionRecord? record;
        if (versionId is null)
        {
            var records = await ReadVersionsAsync(dir, cancellationToken).ConfigureAwait(false);
            record = records.Count > 0 ? records[0] : null;
        }
        else
        {
            var path = RecordPath(dir, versionId);
            record = versionId.All(char.IsAsciiHexDigitLower) && File.Exists(path) ? await ReadRecordAsync(path, cancellationToken).ConfigureAwait(false) : null;
        }

        if (record is null || record.DeleteMarker || !string.Equals(record.Key, key, StringComparison.Ordinal))
        {
            throw new HdsObjectNotFoundException("The object or version does not exist (or is deleted).");
        }

        return record;
    }

    private async Task UpdateAsync(string key, string versionId, Func<LocalVersionRecord, LocalVersionRecord> change, CancellationToken cancellationToken)
    {
        var dir = ObjectDirectory(key);
        var gate = KeyLocks.GetOrAdd(dir, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var record = await FindAsync(key, versionId, cancellationToken).ConfigureAwait(false);
            await WriteRecordAsync(dir, change(record), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    // Write to a temporary file, flush to disk, then rename: readers see the old record or the new one, never half of one.
    private async Task WriteRecordAsync(string dir, LocalVersionRecord record, CancellationToken cancellationToken)
    {
        var tmp = Path.Combine(_tmp, Guid.NewGuid().ToString("N") + ".json");
        Directory.CreateDirectory(_tmp);
        try
        {
            var file = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                await JsonSerializer.SerializeAsync(file, record, LocalStoreJson.Default.LocalVersionRecord, cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            File.Move(tmp, RecordPath(dir, record.VersionId), overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
        }
    }
}
