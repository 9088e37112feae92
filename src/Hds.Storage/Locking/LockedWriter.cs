using Hds.Storage.Access;
using Hds.Storage.Backends;
using Hds.Storage.Diagnostics;
using Hds.Storage.Retention;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Hds.Storage.Models;

namespace Hds.Storage.Locking;

/// <summary>
/// The one place where a new version becomes "written, locked and checked" — for documents, key-ring entries and audit segments
/// alike (issue 15: the rule existed three times, and the audit copy let a shorter or Governance lock pass). The rule is the
/// strictest of the three: the version read back is the one written, with the length sent, and its lock covers the one asked
/// (<see cref="HdsRetentionInfo.Covers"/>: the same mode, a retain-until no earlier, the legal hold when asked). When the backend
/// ignored the lock headers (Ceph on multipart uploads) the lock is applied and read back again; when it still does not hold, the
/// version is removed and the write fails: an unlocked version is never reported written.
/// </summary>
internal sealed class LockedWriter(StorageBackend backend, ILogger? logger = null)
{
    private static readonly TimeSpan RemovalTimeout = TimeSpan.FromSeconds(30);
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    /// <summary>Writes <paramref name="body"/> and returns once the version is verified locked as <paramref name="request"/> asks.</summary>
    /// <exception cref="HdsConfigurationException">The storage does not keep the lock (the version was removed).</exception>
    /// <exception cref="HdsIntegrityException">The storage kept another length or version than was sent (the version was removed).</exception>
    public async Task<LockedVersion> WriteAsync(BackendWriteRequest request, Stream body, OperationContext? operation, CancellationToken cancellationToken)
    {
        var written = await backend.PutAsync(request, body, operation, cancellationToken).ConfigureAwait(false);
        var head = await EnsureLockedAsync(request.Key, written, written.StoredLength, request.Retention, operation, cancellationToken).ConfigureAwait(false);
        return new LockedVersion(written, head);
    }

    /// <summary>
    /// Checks the version <paramref name="written"/> stored: its length is <paramref name="sentLength"/> and its lock covers
    /// <paramref name="wanted"/>, applying the lock when the backend ignored it. On any failure the version is removed (best
    /// effort) and the error thrown.
    /// </summary>
    /// <returns>The version's head as read back, locked.</returns>
    public async Task<BackendObjectHead> EnsureLockedAsync(
        string key, BackendWriteResult written, long sentLength, HdsRetentionInfo wanted, OperationContext? operation, CancellationToken cancellationToken)
    {
        if (wanted.Mode == HdsRetentionMode.None || wanted.RetainUntil is null)
        {
            throw new ArgumentException("A locked write asks for a retention mode and a retain-until date.", nameof(wanted));
        }

        try
        {
            if (written.StoredLength != sentLength)
            {
                throw new HdsIntegrityException("The storage acknowledged a different length than was sent; the version was removed. Retry the write.");
            }

            var head = await ReadBackAsync(key, written, operation, cancellationToken).ConfigureAwait(false);
            if (head.Retention.Covers(wanted))
            {
                return head;
            }

            Log.RetentionNotApplied(_logger, head.Retention.Mode);
            await backend.SetRetentionAsync(key, written.VersionId, wanted.Mode, wanted.RetainUntil.Value, operation, cancellationToken).ConfigureAwait(false);
            if (wanted.LegalHold)
            {
                await backend.SetLegalHoldAsync(key, written.VersionId, true, operation, cancellationToken).ConfigureAwait(false);
            }

            head = await ReadBackAsync(key, written, operation, cancellationToken).ConfigureAwait(false);
            return head.Retention.Covers(wanted)
                ? head
                : throw new HdsConfigurationException(
                    "The storage does not keep object lock retention on new versions. Enable object lock on the bucket (see docs/operations.md).");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.RetentionEnforcementFailed(_logger, ex);
            await RemoveAsync(key, written.VersionId, operation).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<BackendObjectHead> ReadBackAsync(string key, BackendWriteResult written, OperationContext? operation, CancellationToken cancellationToken)
    {
        var head = await backend.HeadAsync(key, written.VersionId, operation, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(head.VersionId, written.VersionId, StringComparison.Ordinal))
        {
            throw new HdsIntegrityException("The storage answered with another version than the one requested: nothing of it was returned. Check the storage gateway.");
        }

        return head.StoredLength == written.StoredLength
            ? head
            : throw new HdsIntegrityException("The stored version's length differs from what was sent.");
    }

    // Best effort, in wall-clock time and whatever the caller's token: a version that could not be verified must not stay visible.
    // If it got locked meanwhile, the backend refuses, which is the safe outcome (the data is kept; the caller got an error).
    private async Task RemoveAsync(string key, string versionId, OperationContext? operation)
    {
        try
        {
            using var cts = new CancellationTokenSource(RemovalTimeout, TimeProvider.System);
            await backend.DeleteVersionAsync(key, versionId, operation, cts.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HdsStorageException or OperationCanceledException)
        {
            Log.RetentionEnforcementFailed(_logger, ex);
        }
    }
}

/// <summary>A version written, read back and verified locked.</summary>
internal sealed record LockedVersion(BackendWriteResult Written, BackendObjectHead Head);
