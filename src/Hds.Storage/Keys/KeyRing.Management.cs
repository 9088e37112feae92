using Hds.Storage.Access;
using Hds.Storage.Diagnostics;
using Hds.Storage.Models;

namespace Hds.Storage.Keys;

// The ring's management operations (list, rotate, revoke, rewrap), called by the client's key verbs, which authorize and audit
// them. A part of KeyRing, not a type of its own: each runs under the ring's gate, on its cached snapshot, and writes through its
// store, exactly as the codec's path in KeyRing.cs does (a key created for a write and a rotation must not race).
internal sealed partial class KeyRing
{
    /// <summary>Reads the key ring from the store and lists every entry, oldest first.</summary>
    /// <param name="operation">The operation listing.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entries, without key material.</returns>
    public async Task<IReadOnlyList<HdsKeyRingEntry>> ListAsync(OperationContext? operation, CancellationToken cancellationToken)
    {
        var snapshot = await ReloadAsync(operation, cancellationToken).ConfigureAwait(false);
        return snapshot.Keys.Values.Select(k => k.Entry).OrderBy(e => e.Id, StringComparer.Ordinal).ToList();
    }

    /// <summary>Creates a new key, active now: new writes use it; existing objects keep theirs (nothing is re-encrypted).</summary>
    /// <param name="operation">The operation rotating.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new entry.</returns>
    public async Task<HdsKeyRingEntry> RotateAsync(OperationContext? operation, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CreateKeyLockedAsync(operation, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Revokes a key: no new write uses it and objects under it are refused on read (their confidentiality and authenticity can no
    /// longer be trusted). Recorded as a new, locked version of the entry; irreversible.
    /// </summary>
    /// <param name="keyId">The key to revoke.</param>
    /// <param name="operation">The operation revoking.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The revoked entry.</returns>
    /// <exception cref="HdsObjectNotFoundException">No such key.</exception>
    public async Task<HdsKeyRingEntry> RevokeAsync(string keyId, OperationContext? operation, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var snapshot = await LoadLockedAsync(operation, cancellationToken).ConfigureAwait(false);
            if (!snapshot.Keys.TryGetValue(keyId, out var key))
            {
                throw new HdsObjectNotFoundException("The key ring holds no key with this id.");
            }

            var kek = key.Kek ?? throw NotAvailable(keyId);
            if (key.Entry.IsRevoked)
            {
                return key.Entry;
            }

            var revoked = await _store.WriteAsync(key.Entry with { RevokedAt = _time.GetUtcNow() }, kek, operation, cancellationToken).ConfigureAwait(false);
            Log.KeyRevoked(_logger, keyId);
            Publish(snapshot.With(new LoadedKey(revoked, kek)));
            return revoked;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Re-encrypts every key-ring entry whose recipients differ from the configured certificates (for example after a certificate
    /// renewal or a new escrow certificate), as new locked versions. No object is read or rewritten.
    /// </summary>
    /// <param name="operation">The operation rewrapping.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entries rewrapped.</returns>
    /// <exception cref="HdsConfigurationException">An entry cannot be opened with the configured certificates; nothing was changed.</exception>
    public async Task<IReadOnlyList<HdsKeyRingEntry>> RewrapAsync(OperationContext? operation, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var snapshot = await LoadLockedAsync(operation, cancellationToken).ConfigureAwait(false);
            var unavailable = snapshot.Keys.Values.Where(k => k.Kek is null).Select(k => k.Entry.Id).ToList();
            if (unavailable.Count > 0)
            {
                throw new HdsConfigurationException(
                    $"Key-ring entries {string.Join(", ", unavailable)} cannot be opened with the configured certificates, so they cannot be rewrapped. "
                    + "Configure a certificate they are encrypted to (the previous operational certificate or the escrow certificate) alongside the new one.");
            }

            var wanted = _store.RecipientThumbprints();
            var rewrapped = new List<HdsKeyRingEntry>();
            foreach (var key in snapshot.Keys.Values.OrderBy(k => k.Entry.Id, StringComparer.Ordinal))
            {
                if (key.Entry.RecipientThumbprints.SequenceEqual(wanted, StringComparer.Ordinal))
                {
                    continue;
                }

                var entry = await _store.WriteAsync(key.Entry, key.Kek!, operation, cancellationToken).ConfigureAwait(false);
                snapshot = snapshot.With(new LoadedKey(entry, key.Kek));
                rewrapped.Add(entry);
            }

            Publish(snapshot);
            Log.KeyRingRewrapped(_logger, rewrapped.Count);
            return rewrapped;
        }
        finally
        {
            _gate.Release();
        }
    }
}
