using Microsoft.Extensions.Logging;
using Hds.Storage.Models;

namespace Hds.Storage.Diagnostics;

/// <summary>Every log message of the library, with stable event ids. Values logged are pseudonymous ids and sizes only.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning,
        Message = "The embedded local store at {Location} is for development and tests: it is NOT HDS-grade hosting (single disk, no replication, no WORM hardware).")]
    public static partial void LocalStoreNotHdsGrade(ILogger logger, string location);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error,
        Message = "Bucket {Bucket} is not compliant: versioning enabled {Versioning}, object lock enabled {ObjectLock}. The client refuses to work with it.")]
    public static partial void BucketNotCompliant(ILogger logger, string bucket, bool versioning, bool objectLock);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning,
        Message = "The storage did not apply the requested retention to a new version (actual mode {Mode}); applying it explicitly.")]
    public static partial void RetentionNotApplied(ILogger logger, Models.HdsRetentionMode mode);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error,
        Message = "A new version could not be locked; it was removed and the write failed.")]
    public static partial void RetentionEnforcementFailed(ILogger logger, Exception? exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information,
        Message = "Stored a version: {StoredSize} stored bytes, retention {Mode} until {RetainUntil:O}.")]
    public static partial void Stored(ILogger logger, long storedSize, Models.HdsRetentionMode mode, DateTimeOffset retainUntil);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error,
        Message = "Integrity verification failed on a {Operation} of version {VersionId}: the data read is not the data written. The audit trail records it (node {Node}, record {Sequence}).")]
    public static partial void IntegrityFailure(ILogger logger, Models.HdsOperation operation, string? versionId, string? node, long sequence);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Aborted a multipart upload after a failure.")]
    public static partial void MultipartAborted(ILogger logger, Exception? exception);

    [LoggerMessage(EventId = 101, Level = LogLevel.Critical,
        Message = "The audit record of a {Operation} operation could not be made durable; the operation was refused (fail-closed).")]
    public static partial void AuditNotDurable(ILogger logger, Models.HdsOperation operation, Exception exception);

    [LoggerMessage(EventId = 102, Level = LogLevel.Critical,
        Message = "The audit record of a {Operation} operation could not be made durable; the operation proceeds because Audit.FailOpen is set.")]
    public static partial void AuditNotDurableFailOpen(ILogger logger, Models.HdsOperation operation, Exception exception);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning,
        Message = "Uploading the audit spool failed ({Reason}); {Pending} records stay in the local spool and will be retried.")]
    private static partial void AuditUploadFailed(ILogger logger, string reason, int pending, Exception? exception);

    // A storage refusal or outage is expected in operation: its typed message says enough, a stack trace would only bury it. Anything
    // else (a local disk error) keeps its exception for whoever investigates.
    public static void AuditUploadFailed(ILogger logger, int pending, Exception exception) =>
        AuditUploadFailed(logger, exception.Message, pending, exception is HdsStorageException ? null : exception);

    [LoggerMessage(EventId = 104, Level = LogLevel.Debug, Message = "Uploaded audit segment of node {Node}: records {First} to {Last}.")]
    public static partial void AuditSegmentUploaded(ILogger logger, string node, long first, long last);

    [LoggerMessage(EventId = 105, Level = LogLevel.Warning,
        Message = "No audit checkpoint certificate is configured: the embedded store's development signer ({Path}) signs the checkpoints. It is for development only: anyone who can read the store's directory can sign with it. Set Audit.CheckpointCertificatePath (configuration HdsStorage:Audit:CheckpointCertificatePath) or Audit.CheckpointCertificate.")]
    public static partial void AuditDevelopmentSigner(ILogger logger, string path);

    [LoggerMessage(EventId = 108, Level = LogLevel.Warning,
        Message = "A write announced by a process that stopped before it ended was reconciled with the store: record {Sequence} of node {Node} ({Reason}).")]
    public static partial void AuditIntentReconciled(ILogger logger, string node, long sequence, string reason);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information, Message = "Audit spool of node {Node} opened: {Pending} records pending upload after recovery.")]
    public static partial void AuditSpoolOpened(ILogger logger, string node, int pending);

    [LoggerMessage(EventId = 107, Level = LogLevel.Warning, Message = "Access denied for a {Operation} operation: {Reason}.")]
    public static partial void AccessDenied(ILogger logger, Models.HdsOperation operation, string reason);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Created key-encryption key {KeyId}, active until {ExpiresAt:O}.")]
    public static partial void KeyCreated(ILogger logger, string keyId, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Revoked key-encryption key {KeyId}: objects under it are refused from now on.")]
    public static partial void KeyRevoked(ILogger logger, string keyId);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "Rewrapped {Count} key-ring entries to the configured certificates.")]
    public static partial void KeyRingRewrapped(ILogger logger, int count);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning,
        Message = "Key-ring certificate {Thumbprint} is a DEVELOPMENT certificate (the embedded store's own, used when no key-ring certificate is configured): never use it for real health data. Configure Encryption.CertificateFiles (configuration HdsStorage:Encryption:CertificateFiles).")]
    public static partial void DevelopmentCertificate(ILogger logger, string thumbprint);

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning,
        Message = "Only one key-ring certificate is configured: there is no escrow. Losing its private key loses every object. Configure an escrow certificate (a second file in Encryption.CertificateFiles, configuration HdsStorage:Encryption:CertificateFiles).")]
    public static partial void NoEscrowCertificate(ILogger logger);

    [LoggerMessage(EventId = 25, Level = LogLevel.Error,
        Message = "Key-ring entry {KeyId} was rolled back: its newest version is older than a state it already had (revocation, expiry). The merged state is kept (a revoked key stays revoked) and reads under the key are refused. Investigate who wrote under _hds/keys/.")]
    public static partial void KeyRingRollback(ILogger logger, string keyId);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Circuit of site {Site} opened: no traffic for {BreakDuration}.")]
    public static partial void CircuitOpened(ILogger logger, string site, TimeSpan breakDuration);

    [LoggerMessage(EventId = 202, Level = LogLevel.Information, Message = "Circuit of site {Site} closed: the site serves again.")]
    public static partial void CircuitClosed(ILogger logger, string site);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Circuit of site {Site} half-open: one trial call goes through.")]
    public static partial void CircuitHalfOpened(ILogger logger, string site);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Health probe of site {Site} failed ({Failure}).")]
    public static partial void SiteProbeFailed(ILogger logger, string site, string failure);

    [LoggerMessage(EventId = 206, Level = LogLevel.Information, Message = "Health probe of site {Site} succeeded again: traffic returns to it.")]
    public static partial void SiteRecovered(ILogger logger, string site);

    [LoggerMessage(EventId = 207, Level = LogLevel.Warning,
        Message = "A write whose answer was lost was found stored as version {VersionId} when retried on site {Site}: that version counts, none was written twice.")]
    public static partial void AmbiguousWriteFound(ILogger logger, string versionId, string site);

    [LoggerMessage(EventId = 208, Level = LogLevel.Warning,
        Message = "A read broke on site {Site} after {Offset} bytes; resuming with a ranged request of the same version.")]
    public static partial void ReadResumed(ILogger logger, string site, long offset);

    [LoggerMessage(EventId = 209, Level = LogLevel.Warning,
        Message = "A multipart upload could not be aborted now (no writable site answered); it is kept and retried by the health probe.")]
    public static partial void MultipartAbortDeferred(ILogger logger, Exception? exception);

    [LoggerMessage(EventId = 210, Level = LogLevel.Warning,
        Message = "A new version was confirmed on {Confirmed} of the {Required} sites asked within {Timeout}: stored and locked, not yet geo-durable.")]
    public static partial void NotGeoDurable(ILogger logger, int confirmed, int required, TimeSpan timeout);

    [LoggerMessage(EventId = 211, Level = LogLevel.Information,
        Message = "A version the serving site did not have (replication lag) was found on site {Site} after {Elapsed}.")]
    public static partial void VersionFoundOnAnotherSite(ILogger logger, string site, TimeSpan elapsed);

    [LoggerMessage(EventId = 213, Level = LogLevel.Warning,
        Message = "Site {Site} served a version without the lock it was written with (it had {Mode}): locked there before serving it.")]
    public static partial void ServedLockApplied(ILogger logger, string site, Models.HdsRetentionMode mode);

    [LoggerMessage(EventId = 214, Level = LogLevel.Warning,
        Message = "The version verified, but its other physical copies (a write stored twice across a partition) could not be listed ({Failure}): none reported.")]
    public static partial void DuplicatesNotListed(ILogger logger, HdsErrorCode failure);
}
