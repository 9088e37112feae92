using Microsoft.Extensions.Logging;

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
    public static partial void RetentionNotApplied(ILogger logger, Retention.RetentionMode mode);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error,
        Message = "A new version could not be locked; it was removed and the write failed.")]
    public static partial void RetentionEnforcementFailed(ILogger logger, Exception? exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information,
        Message = "Stored a version: {StoredSize} stored bytes, retention {Mode} until {RetainUntil:O}.")]
    public static partial void Stored(ILogger logger, long storedSize, Retention.RetentionMode mode, DateTimeOffset retainUntil);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error, Message = "Integrity verification failed on a read.")]
    public static partial void IntegrityFailure(ILogger logger);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Aborted a multipart upload after a failure.")]
    public static partial void MultipartAborted(ILogger logger, Exception? exception);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Created key-encryption key {KeyId}, active until {ExpiresAt:O}.")]
    public static partial void KeyCreated(ILogger logger, string keyId, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Revoked key-encryption key {KeyId}: objects under it are refused from now on.")]
    public static partial void KeyRevoked(ILogger logger, string keyId);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "Rewrapped {Count} key-ring entries to the configured certificates.")]
    public static partial void KeyRingRewrapped(ILogger logger, int count);

    [LoggerMessage(EventId = 23, Level = LogLevel.Warning,
        Message = "Key-ring certificate {Thumbprint} is a DEVELOPMENT certificate created by HdsDevelopmentCertificate: never use it for real health data.")]
    public static partial void DevelopmentCertificate(ILogger logger, string thumbprint);

    [LoggerMessage(EventId = 24, Level = LogLevel.Warning,
        Message = "Only one key-ring certificate is configured: there is no escrow. Losing its private key loses every object. Configure an escrow certificate.")]
    public static partial void NoEscrowCertificate(ILogger logger);
}
