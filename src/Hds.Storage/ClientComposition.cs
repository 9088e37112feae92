using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends;
using Hds.Storage.Backends.Local;
using Hds.Storage.Backends.S3;
using Hds.Storage.Diagnostics;
using Hds.Storage.Encryption;
using Hds.Storage.Keys;
using Hds.Storage.Locking;
using Hds.Storage.Operations;
using Hds.Storage.Pipeline;
using Hds.Storage.Retention;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Hds.Storage;

/// <summary>
/// The parts of one <see cref="HdsStorageClient"/>, built in one place (issue 15: the client built its own parts, and tests had a
/// second, different path). Every constructor and DI (which calls the public constructor) go through <see cref="ClientComposition.Compose"/>; tests
/// that bring their own backend or codec pass them, and get the same bucket gate, lock rule, retention policy and audit wiring.
/// </summary>
internal sealed record ClientParts(
    StorageBackend Backend,
    KeyRing? KeyRing,
    BucketGate BucketGate,
    AuditRuntime Audit,
    OperationPipeline Pipeline,
    ObjectOperations Objects,
    RetentionOperations RetentionOperations,
    AuditTrailOperations AuditTrail,
    StorageHealth Health);

internal static class ClientComposition
{
    // Where the embedded store keeps its development certificate when no key-ring certificate is configured.
    private const string DevelopmentCertificateDirectory = "development-certificate";

    /// <summary>Validates <paramref name="options"/> and builds the client's parts.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="time">The clock of retention dates, key lifetimes and audit timestamps.</param>
    /// <param name="loggerFactory">Where logs go; none when null.</param>
    /// <param name="decorateBackend">Wraps the backend (tests and harnesses observe or interrupt the storage calls).</param>
    /// <param name="backend">A backend to use instead of the one the options describe (tests).</param>
    /// <param name="codec">A codec to use instead of the key ring or key provider the options describe (tests).</param>
    /// <param name="logger">The client's logger instead of one from <paramref name="loggerFactory"/> (tests read what it logs).</param>
    /// <exception cref="HdsConfigurationException">The options are invalid.</exception>
    public static ClientParts Compose(
        HdsStorageOptions options, TimeProvider time, ILoggerFactory? loggerFactory,
        Func<StorageBackend, StorageBackend>? decorateBackend = null, StorageBackend? backend = null, ContentCodec? codec = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        if (backend is null)
        {
            options.Validate();
        }

        var factory = loggerFactory ?? NullLoggerFactory.Instance;
        logger ??= factory.CreateLogger("Hds.Storage");
        var retention = new RetentionPolicy(
            new Dictionary<string, HdsRetentionClass>(options.RetentionClasses, StringComparer.Ordinal), options.DefaultRetentionClass, time,
            options.Authorization.RetentionHorizon);
        if (backend is null)
        {
            StorageBackend built = options.S3 is { } s3 ? new S3Backend(s3, factory.CreateLogger("Hds.Storage.S3"), time) : new LocalBackend(options.Local!, time);
            backend = decorateBackend?.Invoke(built) ?? built;
            if (options.Local is not null)
            {
                Log.LocalStoreNotHdsGrade(logger, backend.Location);
            }
        }

        var gate = new BucketGate(backend, logger);
        KeyRing? ring = null;
        AuditRuntime? audit = null;
        if (codec is null)
        {
            // The key ring's system operation names the audit node, known once the audit is composed (after the codec: a
            // certificate problem is reported before the spool is opened).
            (codec, ring) = CreateCodec(options, backend, time, factory, logger, gate.EnsureAsync, () => audit?.Node);
        }

        audit = AuditRuntime.Create(options, backend, retention, gate, time, factory);
        // The client's one pipeline (context, authorization, audit, telemetry) and the operations it runs.
        var pipeline = new OperationPipeline(audit, retention, time, logger);
        var objects = new ObjectOperations(backend, codec, retention, gate, new LockedWriter(backend, logger), pipeline.Recorder, time, logger);
        return new ClientParts(
            backend, ring, gate, audit, pipeline, objects, new RetentionOperations(backend, retention, gate, time),
            new AuditTrailOperations(audit),
            new StorageHealth(backend, codec));
    }

    // Every write is encrypted (format 1): the key ring in the bucket, protected by the configured certificates, or a KMS/HSM provider.
    private static (ContentCodec Codec, KeyRing? Ring) CreateCodec(
        HdsStorageOptions options, StorageBackend backend, TimeProvider time, ILoggerFactory factory, ILogger logger,
        Func<OperationContext?, CancellationToken, Task> ensureReady, Func<string?> node)
    {
        var encryption = options.Encryption;
        if (encryption.KeyProvider is { } provider)
        {
            return (new FormatV1(provider, encryption.SegmentSize, time: time), null);
        }

        var certificates = encryption.IsUnconfigured && options.Local is { } local
            ? [HdsDevelopmentCertificate.CreateOrLoad(Path.Combine(local.FullPath, DevelopmentCertificateDirectory))]
            : CertificateLoader.LoadAll(encryption.Certificates, encryption.CertificateFiles, encryption.CertificatePassword);
        foreach (var certificate in certificates.Where(HdsDevelopmentCertificate.IsDevelopment))
        {
            Log.DevelopmentCertificate(logger, certificate.Thumbprint);
        }

        if (certificates.Count < 2)
        {
            Log.NoEscrowCertificate(logger);
        }

        var lockDuration = options.RetentionClasses.Values.Max(c => c.Duration);
        var ring = new KeyRing(new KeyRingStore(backend, certificates, lockDuration, time), encryption.KeyLifetime, time, factory.CreateLogger("Hds.Storage.Keys"), ensureReady, node);
        return (new FormatV1(ring, encryption.SegmentSize, time: time), ring);
    }
}
