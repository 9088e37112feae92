using System.Globalization;
using System.Security.Cryptography;
using Hds.Storage.Access;
using Hds.Storage.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Hds.Storage.Models;

namespace Hds.Storage.Keys;

// KeyRing is one type in two files: the codec's path and the cached view here, the management operations the client exposes in
// KeyRing.Management.cs. They share the gate, the snapshot and the store, so they are parts of one class, not two types.
/// <summary>
/// The built-in <see cref="HdsKeyEncryptionKeyProvider"/>: key-encryption keys (AES-256) with ids and a lifecycle, stored in the bucket
/// under "_hds/keys/" as CMS EnvelopedData to every configured certificate (operational and escrow), locked like the data.
/// Unwrapped keys are cached in memory (pinned, zeroed on dispose) so reading an object costs no private-key operation; a new key
/// is created when none is active (automatic rotation by lifetime) or on demand. Thread-safe.
/// Internal: listing and changing the ring are client operations (<see cref="HdsStorageClient.RotateKeyAsync"/>…), so each one
/// runs under an access context, is authorized and leaves an audit record, and its storage requests carry that operation.
/// The ring's own loads and key creations on behalf of the codec (wrapping or unwrapping a data key, through the public
/// <see cref="HdsKeyEncryptionKeyProvider"/> seam, which carries no operation) run as a system operation of their own
/// (<see cref="SystemContext"/>, "KeyRing"): the ring is shared by every operation of the client, its cached view by all.
/// </summary>
internal sealed partial class KeyRing : HdsKeyEncryptionKeyProvider, IDisposable
{
    /// <summary>How long a cached view of the ring is used before the store is read again (other processes may rotate or revoke).</summary>
    internal static readonly TimeSpan RefreshInterval = TimeSpan.FromMinutes(15);

    // An unknown key id reloads the ring, at most this often (a burst of reads of foreign objects must not hammer the store).
    private static readonly TimeSpan UnknownKeyReloadInterval = TimeSpan.FromSeconds(5);

    /// <summary>The SDK's own service actor for the key ring's system operations (the storage's log names it).</summary>
    internal static readonly HdsAccessContext SystemContext =
        new("hds-keys", "hds-system", HdsAuthorizationOptions.KeyManagementPurpose) { ActorKind = "service" };

    private readonly KeyRingStore _store;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<OperationContext?, CancellationToken, Task> _ensureReady;
    private readonly Func<string?> _node;
    private OperationContext? _system;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Snapshot? _snapshot;
    private bool _disposed;

    /// <param name="store">The entries in the bucket.</param>
    /// <param name="lifetime">How long a new key is active.</param>
    /// <param name="time">The clock of key lifetimes.</param>
    /// <param name="logger">Where key events go.</param>
    /// <param name="ensureReady">Checks the bucket before the first load, under the operation loading.</param>
    /// <param name="node">The audit node, named by the system operation's requests (known once the client's audit is composed).</param>
    internal KeyRing(
        KeyRingStore store, TimeSpan lifetime, TimeProvider time, ILogger? logger, Func<OperationContext?, CancellationToken, Task>? ensureReady,
        Func<string?>? node = null)
    {
        _store = store;
        _lifetime = lifetime;
        _time = time;
        _logger = logger ?? NullLogger.Instance;
        _ensureReady = ensureReady ?? ((_, _) => Task.CompletedTask);
        _node = node ?? (() => null);
    }

    // The system operation of the ring's loads and key creations for the codec.
    private OperationContext SystemOperation => _system ??= OperationContext.ForSystem(SystemContext, _node() ?? "-", "KeyRing");

    /// <inheritdoc />
    public override async ValueTask<HdsWrappedDataKey> WrapDataKeyAsync(ReadOnlyMemory<byte> dataKey, CancellationToken cancellationToken)
    {
        var key = await GetCurrentAsync(SystemOperation, cancellationToken).ConfigureAwait(false);
        using var aes = Aes.Create();
        aes.Key = key.Kek!;
        return new HdsWrappedDataKey(key.Entry.Id, aes.EncryptKeyWrapPadded(dataKey.Span));
    }

    /// <inheritdoc />
    public override async ValueTask<byte[]> UnwrapDataKeyAsync(string keyId, ReadOnlyMemory<byte> wrappedDataKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);

        // The id comes from an object header: checked against the key-ring syntax before any lookup, reload or message.
        if (!KeyRingStore.IsValidId(keyId))
        {
            throw IntegrityErrors.Corrupt("The object's header names a key id that is not a key-ring id (wrong bucket, or the header was altered).");
        }

        var snapshot = await GetSnapshotAsync(SystemOperation, cancellationToken).ConfigureAwait(false);
        if (!snapshot.Keys.TryGetValue(keyId, out var key) && _time.GetUtcNow() - snapshot.LoadedAt >= UnknownKeyReloadInterval)
        {
            snapshot = await ReloadAsync(SystemOperation, cancellationToken).ConfigureAwait(false);
            snapshot.Keys.TryGetValue(keyId, out key);
        }

        // A key created on another site may not have replicated to the one serving the ring yet: ask every site (within the
        // replication lag bound) before calling the header wrong; some site unreachable is "not replicated yet", not an integrity failure.
        key ??= await LoadFromAnySiteAsync(keyId, SystemOperation, cancellationToken).ConfigureAwait(false);
        if (key is null)
        {
            throw IntegrityErrors.Corrupt($"The object was written under key '{keyId}', which the key ring does not hold (wrong bucket, or the header was altered).");
        }

        if (key.RolledBack)
        {
            throw IntegrityErrors.Corrupt(
                $"The key-ring entry of key '{keyId}' was rolled back (an older version of it was stored again as the newest): an integrity problem to investigate. "
                + (key.Entry.IsRevoked ? "The key stays revoked: its objects are refused." : "Reads under the key are refused until the entry is restored."));
        }

        if (key.Entry.IsRevoked)
        {
            throw IntegrityErrors.Corrupt($"The object was written under key '{keyId}', which is revoked: its content can no longer be trusted.");
        }

        var kek = key.Kek ?? throw NotAvailable(keyId);
        using var aes = Aes.Create();
        aes.Key = kek;
        return aes.DecryptKeyWrapPadded(wrappedDataKey.Span); // CryptographicException on a wrong key or altered wrap: mapped by the codec
    }

    /// <summary>Zeroes every cached key.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_snapshot is { } snapshot)
        {
            foreach (var key in snapshot.Keys.Values)
            {
                if (key.Kek is { } kek)
                {
                    CryptographicOperations.ZeroMemory(kek);
                }
            }
        }

        _snapshot = null;
        _gate.Dispose();
    }

    internal async Task<HdsKeyRingEntry> GetCurrentEntryAsync(CancellationToken cancellationToken) =>
        (await GetCurrentAsync(SystemOperation, cancellationToken).ConfigureAwait(false)).Entry;

    private static HdsConfigurationException NotAvailable(string keyId) =>
        new($"Key-ring entry '{keyId}' is not encrypted to any configured certificate with a private key. Configure the operational or the escrow certificate it was encrypted to.");

    private async Task<LoadedKey> GetCurrentAsync(OperationContext? operation, CancellationToken cancellationToken)
    {
        var snapshot = await GetSnapshotAsync(operation, cancellationToken).ConfigureAwait(false);
        var current = snapshot.Current(_time.GetUtcNow());
        if (current is not null)
        {
            return current;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another process may have created one meanwhile; read the store before creating.
            snapshot = await LoadLockedAsync(operation, cancellationToken).ConfigureAwait(false);
            current = snapshot.Current(_time.GetUtcNow());
            if (current is not null)
            {
                return current;
            }

            await CreateKeyLockedAsync(operation, cancellationToken).ConfigureAwait(false);
            return _snapshot!.Current(_time.GetUtcNow())!;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<HdsKeyRingEntry> CreateKeyLockedAsync(OperationContext? operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var snapshot = _snapshot ?? await LoadLockedAsync(operation, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var id = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture) + "-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var kek = GC.AllocateUninitializedArray<byte>(KeyRingPayload.KekLength, pinned: true);
        RandomNumberGenerator.Fill(kek);
        var entry = new HdsKeyRingEntry { Id = id, CreatedAt = now, ActivatesAt = now, ExpiresAt = now + _lifetime };
        try
        {
            entry = await _store.WriteAsync(entry, kek, operation, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            CryptographicOperations.ZeroMemory(kek);
            throw;
        }

        Log.KeyCreated(_logger, id, entry.ExpiresAt);
        Publish(snapshot.With(new LoadedKey(entry, kek)));
        return entry;
    }

    private async Task<LoadedKey?> LoadFromAnySiteAsync(string keyId, OperationContext? operation, CancellationToken cancellationToken)
    {
        if (await _store.LoadAsync(keyId, operation, cancellationToken, anySite: true).ConfigureAwait(false) is not { } loaded)
        {
            return null;
        }

        if (loaded.RolledBack)
        {
            Log.KeyRingRollback(_logger, loaded.Entry.Id);
        }

        var key = new LoadedKey(loaded.Entry, loaded.Kek, loaded.RolledBack);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_snapshot is { } current && current.Keys.TryGetValue(keyId, out var known))
            {
                if (key.Kek is not null)
                {
                    CryptographicOperations.ZeroMemory(key.Kek);
                }

                return known; // a reload found it meanwhile: keep the cached array
            }

            if (_snapshot is { } snapshot)
            {
                Publish(snapshot.With(key)); // the next reload on the lagging site would drop it again: asked anew then
            }

            return key;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async ValueTask<Snapshot> GetSnapshotAsync(OperationContext? operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var snapshot = _snapshot;
        if (snapshot is not null && _time.GetUtcNow() - snapshot.LoadedAt < RefreshInterval)
        {
            return snapshot;
        }

        return await ReloadAsync(operation, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Snapshot> ReloadAsync(OperationContext? operation, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await LoadLockedAsync(operation, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<Snapshot> LoadLockedAsync(OperationContext? operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _ensureReady(operation, cancellationToken).ConfigureAwait(false);
        var loaded = await _store.LoadAllAsync(operation, cancellationToken).ConfigureAwait(false);
        var previous = _snapshot;
        var keys = new Dictionary<string, LoadedKey>(StringComparer.Ordinal);
        foreach (var (entry, kek, rolledBack) in loaded)
        {
            if (rolledBack)
            {
                Log.KeyRingRollback(_logger, entry.Id);
            }

            // Key material never changes for an id: keep the cached array (callers may hold it) and zero the fresh copy.
            if (kek is not null && previous is not null && previous.Keys.TryGetValue(entry.Id, out var known) && known.Kek is { } cached)
            {
                CryptographicOperations.ZeroMemory(kek);
                keys[entry.Id] = new LoadedKey(entry, cached, rolledBack);
            }
            else
            {
                keys[entry.Id] = new LoadedKey(entry, kek, rolledBack);
            }
        }

        var snapshot = new Snapshot(keys, _time.GetUtcNow());
        Publish(snapshot);
        return snapshot;
    }

    private void Publish(Snapshot snapshot) => _snapshot = snapshot;

    // RolledBack: the entry's newest version is behind its merged state (an older version stored again): an integrity problem,
    // reported on every read under the key; the merged state (revoked, say) is what counts.
    private sealed record LoadedKey(HdsKeyRingEntry Entry, byte[]? Kek, bool RolledBack = false);

    private sealed class Snapshot(Dictionary<string, LoadedKey> keys, DateTimeOffset loadedAt)
    {
        public IReadOnlyDictionary<string, LoadedKey> Keys => keys;

        public DateTimeOffset LoadedAt => loadedAt;

        public LoadedKey? Current(DateTimeOffset now) =>
            keys.Values.Where(k => k.Kek is not null && !k.RolledBack && k.Entry.IsActiveAt(now))
                .OrderByDescending(k => k.Entry.ActivatesAt).ThenByDescending(k => k.Entry.Id, StringComparer.Ordinal).FirstOrDefault();

        public Snapshot With(LoadedKey key) => new(new Dictionary<string, LoadedKey>(keys, StringComparer.Ordinal) { [key.Entry.Id] = key }, loadedAt);
    }
}
