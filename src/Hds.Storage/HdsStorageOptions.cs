using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends.Local;
using Hds.Storage.Backends.S3;
using Hds.Storage.Encryption;
using Hds.Storage.Retention;
using Hds.Storage.Models;

namespace Hds.Storage;

/// <summary>Settings of an <see cref="HdsStorageClient"/>. Set exactly one of <see cref="S3"/> and <see cref="Local"/>.</summary>
public sealed class HdsStorageOptions
{
    /// <summary>The name of the retention class used when a write names none.</summary>
    public const string DefaultRetentionClassName = "default";

    /// <summary>The S3 backend (StorageGRID, Ceph RGW, MinIO, AWS).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public HdsS3StorageOptions? S3 { get; set; }

    /// <summary>The embedded local store: a directory with the same semantics, for development, samples and tests. Not HDS-grade hosting.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public HdsLocalStorageOptions? Local { get; set; }

    /// <summary>Retention classes by name. Every write uses one; its retention is verified on the stored version.</summary>
    /// <value>The default value holds one class, "default": 20 years COMPLIANCE.</value>
    public IDictionary<string, HdsRetentionClass> RetentionClasses { get; } =
        new Dictionary<string, HdsRetentionClass>(StringComparer.Ordinal) { [DefaultRetentionClassName] = new HdsRetentionClass() };

    /// <summary>The retention class used when a write names none.</summary>
    /// <value>The default value is "default".</value>
    public string DefaultRetentionClass { get; set; } = DefaultRetentionClassName;

    /// <summary>The authorization every operation goes through: purpose allow-lists and an optional custom policy.</summary>
    /// <value>The default value denies cross-tenant access and allows only the purpose "audit" for audit operations.</value>
    public HdsAuthorizationOptions Authorization { get; } = new();

    /// <summary>The audit trail: spool, uploads, checkpoint certificate, fail-closed behaviour.</summary>
    /// <value>The default value audits every operation to a default spool directory, fail-closed, without signed checkpoints.</value>
    public HdsAuditOptions Audit { get; } = new();

    /// <summary>Where the context of a call that passes none comes from.</summary>
    /// <value>The default value is <see langword="null"/>: <see cref="HdsAccessContextAccessor.Ambient"/> (<see cref="HdsAccessScope"/>).</value>
    public HdsAccessContextAccessor? ContextAccessor { get; set; }

    /// <summary>Client-side envelope encryption: every write is encrypted; at least one key-ring certificate (or a key provider) is required.</summary>
    /// <value>The default value has no certificate: configure one.</value>
    public HdsEncryptionOptions Encryption { get; } = new();

    /// <summary>Checks every setting at once.</summary>
    /// <exception cref="HdsConfigurationException">Lists every problem found and how to fix it.</exception>
    public void Validate()
    {
        var errors = Problems();
        if (errors.Count > 0)
        {
            throw new HdsConfigurationException("Invalid Hds.Storage options: " + string.Join(" ", errors));
        }
    }

    /// <summary>Every problem <see cref="Validate"/> would report, one message each (the CLI's config show lists them).</summary>
    internal List<string> Problems()
    {
        var errors = new List<string>();
        if (S3 is null && Local is null)
        {
            // The first message of a new application: say where the setting goes, in code and in configuration.
            errors.Add("No storage backend is configured: set S3 (S3 object storage: S3.ServiceUrl, S3.Bucket and key-ring certificates) or "
                + "Local (the embedded store, for development: Local.Path). In appsettings.json: \"HdsStorage\": { \"Local\": { \"Path\": \"hds-store\" } } "
                + "with services.AddHdsStorage(builder.Configuration).");
        }
        else if (S3 is not null && Local is not null)
        {
            errors.Add("Two storage backends are configured (S3 and Local): keep one.");
        }

        S3?.Validate(errors);
        Local?.Validate(errors);

        // Certificates are required for S3 only (the embedded store has a development certificate): without a backend, say nothing yet.
        Encryption.Validate(errors, embeddedStore: S3 is null);
        if (!RetentionClasses.ContainsKey(DefaultRetentionClass))
        {
            errors.Add($"DefaultRetentionClass names a class that RetentionClasses does not define.");
        }

        foreach (var (name, cls) in RetentionClasses)
        {
            if (cls is null || cls.Mode == HdsRetentionMode.None || cls.Duration <= TimeSpan.Zero)
            {
                errors.Add($"Retention class '{name}' must have a mode (Compliance or Governance) and a positive duration: health data is never written unlocked.");
            }
        }

        Authorization.Validate(errors);
        Audit.Validate(errors, RetentionClasses.Keys, signerRequired: S3 is not null);
        return errors;
    }
}
