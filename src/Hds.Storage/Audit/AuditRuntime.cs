using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Hds.Storage.Access;
using Hds.Storage.Backends;
using Hds.Storage.Diagnostics;
using Hds.Storage.Locking;
using Hds.Storage.Retention;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.Audit;

/// <summary>What one client uses to authorize and audit its operations, built from the options.</summary>
internal sealed class AuditRuntime : IAsyncDisposable
{
    private AuditRuntime(HdsAuthorizationPolicy policy, HdsAccessContextAccessor accessor, HdsAuditSink sink, ChainedAuditSink? chained,
        AuditLogVerifier? verifier, bool failOpen)
    {
        Policy = policy;
        Accessor = accessor;
        Sink = sink;
        Chained = chained;
        Verifier = verifier;
        FailOpen = failOpen;
    }

    public HdsAuthorizationPolicy Policy { get; }

    public HdsAccessContextAccessor Accessor { get; }

    public HdsAuditSink Sink { get; }

    /// <summary>The default chained sink, when it is the one in use.</summary>
    public ChainedAuditSink? Chained { get; }

    public AuditLogVerifier? Verifier { get; }

    public bool FailOpen { get; }

    public string? Node => Chained?.Node;

    public static AuditRuntime Create(HdsStorageOptions options, StorageBackend backend, RetentionPolicy retention, BucketGate bucketGate, TimeProvider time, ILoggerFactory factory)
    {
        var logger = factory.CreateLogger("Hds.Storage.Audit");
        var policy = options.Authorization.Policy ?? new HdsDefaultAuthorizationPolicy(options.Authorization);
        var accessor = options.ContextAccessor ?? HdsAccessContextAccessor.Ambient;
        var audit = options.Audit;
        if (audit.Sink is { } custom)
        {
            return new AuditRuntime(policy, accessor, custom, null, null, audit.FailOpen);
        }

        var certificate = audit.CheckpointCertificate
            ?? (audit.CheckpointCertificatePath is { } path ? AuditCertificates.LoadSigner(path, audit.CheckpointCertificatePassword) : null);
        if (certificate is null)
        {
            // Validation refused S3 without a signer: this is the embedded store (or a backend given by a test).
            var location = options.Local is { } local ? local.FullPath : backend.Location;
            (certificate, var signerPath) = AuditCertificates.DevelopmentSigner(location);
            Log.AuditDevelopmentSigner(logger, signerPath);
        }

        var trusted = audit.TrustedCheckpointCertificates.Concat(audit.TrustedCheckpointCertificateFiles.Select(AuditCertificates.LoadTrusted)).ToList();
        trusted.Insert(0, certificate);
        if (options.Local is { } embedded && AuditCertificates.ExistingDevelopmentSigner(embedded.FullPath) is { } development)
        {
            trusted.Add(development); // the embedded store's own: nodes it signed before a real signer was configured stay enrolled
        }

        var target = TargetOf(options, backend);
        var spoolRoot = audit.SpoolDirectory ?? DefaultSpoolDirectory(options, target);
        AuditSpool spool;
        try
        {
            spool = AuditSpool.Open(spoolRoot, target);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HdsAuditException("The audit spool directory cannot be used; set Audit.SpoolDirectory (configuration HdsStorage:Audit:SpoolDirectory) to a writable local directory.", ex);
        }

        AuditIntents intents;
        try
        {
            intents = AuditIntents.Open(spool.Directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            spool.Dispose();
            throw new HdsAuditException("The audit spool directory cannot be used; set Audit.SpoolDirectory (configuration HdsStorage:Audit:SpoolDirectory) to a writable local directory.", ex);
        }

        Log.AuditSpoolOpened(logger, spool.Node, spool.PendingCount);
        // The trail's own retention class: configured, else the class named "audit" when defined, else the default class.
        var auditClass = audit.RetentionClass
            ?? (options.RetentionClasses.ContainsKey(HdsAuditOptions.AuditRetentionClassName) ? HdsAuditOptions.AuditRetentionClassName : null);
        var store = new AuditStore(backend, () => retention.Resolve(auditClass).Retention, bucketGate, logger);
        var chained = new ChainedAuditSink(spool, intents, store, certificate, audit, time, logger);
        var runtime = new AuditRuntime(policy, accessor, chained, chained, new AuditLogVerifier(store, trusted, audit.CheckpointGracePeriod, time), audit.FailOpen);
        HdsStorageTelemetry.TrackAuditSpool(runtime, () => (spool.Node, spool.PendingCount));
        return runtime;
    }

    public async ValueTask DisposeAsync()
    {
        if (Chained is not null)
        {
            HdsStorageTelemetry.UntrackAuditSpool(this);
            await Chained.DisposeAsync().ConfigureAwait(false);
        }
        else
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15), TimeProvider.System);
                await Sink.FlushAsync(cts.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HdsStorageException or OperationCanceledException or IOException)
            {
                // The custom sink owns its durability; nothing more to do here.
            }
        }
    }

    // One spool per storage target: a node's chain belongs to one bucket (or local store).
    private static string TargetOf(HdsStorageOptions options, StorageBackend backend)
    {
        var identity = options.S3 is { } s3 ? s3.ServiceUrl + "|" + s3.Bucket : "local|" + backend.Location;
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..32];
    }

    private static string DefaultSpoolDirectory(HdsStorageOptions options, string target)
    {
        if (options.Local is { } local)
        {
            return Path.Combine(local.FullPath, "audit-spool");
        }

        var appData = Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        var root = string.IsNullOrEmpty(appData) ? Path.GetTempPath() : appData;
        return Path.Combine(root, "Hds.Storage", "audit-spool", target);
    }
}
