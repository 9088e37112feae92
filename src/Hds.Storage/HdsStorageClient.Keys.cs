using Hds.Storage.Access;
using Hds.Storage.Encryption;
using Hds.Storage.Keys;
using Hds.Storage.Models;

namespace Hds.Storage;

// The key ring's operations. Like every other operation they run under an access context, are authorized and leave an audit
// record (with the key id concerned, never key material). The key ring is bucket-wide: the default policy grants it by purpose
// ("key-management") and role ("key-admin") to the operating tenant only.
public partial class HdsStorageClient
{
    /// <summary>
    /// Lists the key ring's keys, oldest first, read from the store (other processes may have rotated or revoked).
    /// Requires a purpose allowed for <see cref="HdsOperation.ListKeys"/> ("key-management", the role "key-admin" and the operating tenant by default).
    /// </summary>
    /// <param name="options">The access context.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entries, without key material.</returns>
    /// <exception cref="HdsConfigurationException">The keys are held by a <see cref="HdsEncryptionOptions.KeyProvider"/>, not by a key ring.</exception>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    public virtual Task<IReadOnlyList<HdsKeyRingEntry>> ListKeysAsync(HdsRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(HdsOperation.ListKeys, options, null, null, operation => RequireKeyRing().ListAsync(operation, cancellationToken), cancellationToken);

    /// <summary>
    /// Creates a new key, active now: new writes use it; existing objects keep theirs (nothing is re-encrypted).
    /// Requires a purpose allowed for <see cref="HdsOperation.RotateKey"/> ("key-management", the role "key-admin" and the operating tenant by default).
    /// </summary>
    /// <param name="options">The access context.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The new entry.</returns>
    /// <exception cref="HdsConfigurationException">The keys are held by a <see cref="HdsEncryptionOptions.KeyProvider"/>, or the certificates cannot protect a new key.</exception>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    public virtual Task<HdsKeyRingEntry> RotateKeyAsync(HdsRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(HdsOperation.RotateKey, options, null, null, operation => RequireKeyRing().RotateAsync(operation, cancellationToken), cancellationToken);

    /// <summary>
    /// Revokes a key (irreversible, for a compromised key): no new write uses it and every object under it is refused on read
    /// (<see cref="HdsIntegrityException"/>). Revoking a revoked key changes nothing.
    /// Requires a purpose allowed for <see cref="HdsOperation.RevokeKey"/> ("key-management", the role "key-admin" and the operating tenant by default).
    /// </summary>
    /// <param name="keyId">The key id, as listed by <see cref="ListKeysAsync"/> or named by a receipt.</param>
    /// <param name="options">The access context.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The revoked entry.</returns>
    /// <exception cref="HdsInvalidRequestException">The key id is malformed.</exception>
    /// <exception cref="HdsObjectNotFoundException">The key ring holds no key with this id.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsConfigurationException">The bucket is not fit for health data (versioning or object lock off).</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    public virtual Task<HdsKeyRingEntry> RevokeKeyAsync(string keyId, HdsRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteWithArgumentsAsync(HdsOperation.RevokeKey, options, null, null, new OperationArguments { KeyId = keyId }, operation =>
        {
            ArgumentNullException.ThrowIfNull(keyId);
            if (!FormatV1Header.IsValidKeyId(keyId))
            {
                throw new HdsInvalidRequestException("The key id is malformed: 1 to 128 printable ASCII characters without spaces.");
            }

            return RequireKeyRing().RevokeAsync(keyId, operation, cancellationToken);
        }, cancellationToken);

    /// <summary>
    /// Re-encrypts every key-ring entry whose recipients differ from the configured certificates (after a certificate renewal or a
    /// new escrow certificate), as new locked versions. No object is read or rewritten. Configure a certificate that opens the
    /// entries (the previous operational or the escrow certificate, with its private key) together with the new ones.
    /// Requires a purpose allowed for <see cref="HdsOperation.RewrapKeys"/> ("key-management", the role "key-admin" and the operating tenant by default).
    /// </summary>
    /// <param name="options">The access context.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The entries rewrapped (none when every entry already has the configured recipients).</returns>
    /// <exception cref="HdsConfigurationException">An entry cannot be opened with the configured certificates (nothing was changed), or the keys are held by a key provider.</exception>
    /// <exception cref="HdsInvalidRequestException">The key, version, options or access context are malformed; nothing was read or written.</exception>
    /// <exception cref="HdsAccessDeniedException">The access policy refuses the operation to this context, or the storage refuses the credentials.</exception>
    /// <exception cref="HdsBackendUnavailableException">No storage site answered within the failover timeout; nothing partial was left.</exception>
    /// <exception cref="HdsAuditException">The operation's audit record could not be made durable (fail-closed).</exception>
    public virtual Task<IReadOnlyList<HdsKeyRingEntry>> RewrapKeysAsync(HdsRequestOptions? options = null, CancellationToken cancellationToken = default) =>
        ExecuteAsync(HdsOperation.RewrapKeys, options, null, null, operation => RequireKeyRing().RewrapAsync(operation, cancellationToken), cancellationToken);

    private KeyRing RequireKeyRing() =>
        KeyRing ?? throw new HdsConfigurationException(
            "The key-encryption keys are held by a key provider (Encryption.KeyProvider: KMS/HSM), not by a key ring: manage them there.");
}
