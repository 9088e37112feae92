using Hds.Storage.Access;
using Hds.Storage.Backends;
using Hds.Storage.Locking;
using Hds.Storage.Models;
using Hds.Storage.Objects;
using Hds.Storage.Retention;

namespace Hds.Storage.Operations;

/// <summary>
/// The legal hold and retention verbs: the change asked, applied to the version named (the latest when none), then read back, so
/// the caller is never told of a lock the storage did not apply. Retention only ever grows, and never beyond the horizon.
/// </summary>
internal sealed class RetentionOperations(StorageBackend backend, RetentionPolicy retention, BucketGate bucketGate, TimeProvider time)
{
    private readonly StorageBackend _backend = backend;
    private readonly RetentionPolicy _retention = retention;
    private readonly BucketGate _bucketGate = bucketGate;
    private readonly TimeProvider _time = time;

    public async Task<HdsObjectProperties> SetLegalHoldAsync(string key, bool enabled, string? versionId, OperationContext operation, CancellationToken cancellationToken)
    {
        var context = operation.Access;
        ObjectKeys.Validate(key);
        ObjectKeys.ValidateVersionId(versionId);
        await EnsureBucketAsync(operation, cancellationToken).ConfigureAwait(false);
        var physical = ObjectKeys.ToPhysical(context.Tenant, key);
        var head = await _backend.HeadAsync(physical, versionId, operation, cancellationToken).ConfigureAwait(false);
        await _backend.SetLegalHoldAsync(physical, head.VersionId, enabled, operation, cancellationToken).ConfigureAwait(false);
        var after = await _backend.HeadAsync(physical, head.VersionId, operation, cancellationToken).ConfigureAwait(false);
        if (after.Retention.LegalHold != enabled)
        {
            throw new HdsConfigurationException("The storage did not apply the legal hold change. Check the bucket's object lock configuration.");
        }

        return StoredVersions.ToProperties(key, after);
    }

    public async Task<HdsObjectProperties> ExtendRetentionAsync(
        string key, DateTimeOffset retainUntil, string? versionId, OperationContext operation, CancellationToken cancellationToken)
    {
        var context = operation.Access;
        ObjectKeys.Validate(key);
        ObjectKeys.ValidateVersionId(versionId);
        if (retainUntil <= _time.GetUtcNow())
        {
            throw new HdsInvalidRequestException("The new retain-until date must be in the future.");
        }

        _retention.CheckWithinHorizon(retainUntil); // checked before authorization too; here so this core never runs without it

        await EnsureBucketAsync(operation, cancellationToken).ConfigureAwait(false);
        var physical = ObjectKeys.ToPhysical(context.Tenant, key);
        var head = await _backend.HeadAsync(physical, versionId, operation, cancellationToken).ConfigureAwait(false);
        if (head.Retention.RetainUntil is { } current && retainUntil < current)
        {
            throw new HdsObjectLockedException(
                $"Retention can only be extended: the version is retained until {current.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)}; give a later date.");
        }

        var mode = head.Retention.Mode == HdsRetentionMode.None ? HdsRetentionMode.Compliance : head.Retention.Mode;
        var until = new DateTimeOffset(retainUntil.UtcTicks - (retainUntil.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        await _backend.SetRetentionAsync(physical, head.VersionId, mode, until, operation, cancellationToken).ConfigureAwait(false);
        var after = await _backend.HeadAsync(physical, head.VersionId, operation, cancellationToken).ConfigureAwait(false);
        if (after.Retention.RetainUntil is not { } applied || applied + HdsRetentionInfo.Tolerance < until)
        {
            throw new HdsConfigurationException("The storage did not apply the retention change. Check the bucket's object lock configuration.");
        }

        return StoredVersions.ToProperties(key, after);
    }

    private Task EnsureBucketAsync(OperationContext operation, CancellationToken cancellationToken) => _bucketGate.EnsureAsync(operation, cancellationToken);
}
