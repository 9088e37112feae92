using System.Security.Cryptography.X509Certificates;

namespace Hds.Storage;

/// <summary>
/// Settings of the audit trail: records are spooled durably under the spool directory and uploaded to the bucket under
/// "_hds/audit/", retention-locked, each upload followed by a checkpoint signed with <see cref="CheckpointCertificate"/>. On S3 the
/// signing certificate is required (the client refuses to start without one); the embedded store uses a development signer kept
/// in its directory when none is given.
/// </summary>
public sealed class HdsAuditOptions
{
    /// <summary>
    /// The local directory where records are made durable (appended and flushed to disk) before an operation returns, then
    /// uploaded in batches and recovered after a crash. Each client instance takes (locks) one node subdirectory.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: "audit-spool" inside the local store's directory, or for S3
    /// "Hds.Storage/audit-spool/{endpoint and bucket hash}" under the user's local application data (the temp directory when there is none).
    /// </value>
    public string? SpoolDirectory { get; set; }

    /// <summary>The most records one uploaded segment holds; reaching it triggers an upload.</summary>
    /// <value>The default value is 256.</value>
    public int BatchSize { get; set; } = 256;

    /// <summary>How often pending records are uploaded when fewer than <see cref="BatchSize"/> are waiting.</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan UploadInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The certificate (with its private key) signing checkpoints (CMS SignedData over node, last sequence, head hash and
    /// time), written after every uploaded segment. Required with S3 (or <see cref="CheckpointCertificatePath"/>): unsigned, the
    /// trail could be forged or rewritten by whoever holds the bucket's credentials. The embedded store uses a development signer
    /// (a self-signed certificate kept in the store's directory, logged as a warning) when none is given.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public X509Certificate2? CheckpointCertificate { get; set; }

    /// <summary>
    /// A file holding the checkpoint certificate and its key, used when <see cref="CheckpointCertificate"/> is null: PKCS#12 (.pfx,
    /// .p12) or PEM with the certificate and its private key.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? CheckpointCertificatePath { get; set; }

    /// <summary>The password of <see cref="CheckpointCertificatePath"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? CheckpointCertificatePassword { get; set; }

    /// <summary>
    /// Certificates whose checkpoint signatures verification accepts, for example a renewed signing certificate's
    /// predecessors. The checkpoint certificate itself is always trusted.
    /// </summary>
    /// <value>The default value is an empty list.</value>
    public IList<X509Certificate2> TrustedCheckpointCertificates { get; } = new List<X509Certificate2>();

    /// <summary>
    /// Files (PEM or DER certificates) of further trusted checkpoint signers, for example every writer's signing certificate on an
    /// auditor's machine. Only configured certificates are trusted: a checkpoint carries its signer's certificate, never trusted for that.
    /// </summary>
    /// <value>The default value is an empty list.</value>
    public IList<string> TrustedCheckpointCertificateFiles { get; } = new List<string>();

    /// <summary>
    /// How long a stored segment may stay without a signed checkpoint covering it before verification reports it. A writer stores
    /// the checkpoint right after the segment (and on restart after a crash between the two); records a holder of the bucket's
    /// credentials appends to a chain are reported once this period has passed.
    /// </summary>
    /// <value>The default value is 10 minutes.</value>
    public TimeSpan CheckpointGracePeriod { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The name of the retention class audit segments and checkpoints use, when <see cref="RetentionClass"/> is not set and the class is defined.</summary>
    public const string AuditRetentionClassName = "audit";

    /// <summary>
    /// The retention class of uploaded audit segments and checkpoints (their own retention, separate from the documents'): when null,
    /// the class named <see cref="AuditRetentionClassName"/> ("audit") if <see cref="HdsStorageOptions.RetentionClasses"/> defines it,
    /// else the client's default class. The CNIL recommends keeping access logs 6 months to 3 years; HDS hosting practice often keeps
    /// them longer (as long as the documents they trace); see docs/operations.md, "Retention of the audit trail".
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? RetentionClass { get; set; }

    /// <summary>
    /// Opt-in: let operations succeed when their audit record cannot be made durable (logged as an error). Off by default:
    /// fail-closed, such an operation is refused with <see cref="HdsAuditException"/>.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool FailOpen { get; set; }

    /// <summary>Replaces the default chained log; verification and reading of the trail then belong to that sink.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public HdsAuditSink? Sink { get; set; }

    internal void Validate(List<string> errors, ICollection<string> retentionClasses, bool signerRequired)
    {
        if (signerRequired && Sink is null && CheckpointCertificate is null && CheckpointCertificatePath is null)
        {
            errors.Add("Audit checkpoints must be signed on S3: set Audit.CheckpointCertificate, or Audit.CheckpointCertificatePath to a PKCS#12 or PEM file "
                + "with the signing certificate and its private key (CLI: --audit-cert, or HdsStorage__Audit__CheckpointCertificatePath). Unsigned, whoever "
                + "holds the bucket's credentials could forge or rewrite the trail unseen. Give auditors the certificate (Audit.TrustedCheckpointCertificateFiles).");
        }

        if (CheckpointGracePeriod <= TimeSpan.Zero)
        {
            errors.Add("Audit.CheckpointGracePeriod must be positive.");
        }

        foreach (var file in TrustedCheckpointCertificateFiles)
        {
            if (!File.Exists(file))
            {
                errors.Add($"Audit.TrustedCheckpointCertificateFiles: file '{file}' does not exist.");
            }
        }

        if (BatchSize is < 1 or > 10_000)
        {
            errors.Add("Audit.BatchSize must be between 1 and 10000.");
        }

        if (UploadInterval <= TimeSpan.Zero)
        {
            errors.Add("Audit.UploadInterval must be positive.");
        }

        if (CheckpointCertificate is { HasPrivateKey: false })
        {
            errors.Add("Audit.CheckpointCertificate must include its private key (it signs checkpoints).");
        }

        if (CheckpointCertificate is null && CheckpointCertificatePath is { } path && !File.Exists(path))
        {
            errors.Add("Audit.CheckpointCertificatePath names no file: give the path of a PKCS#12 (.pfx) or PEM file with the signing certificate and key.");
        }

        if (RetentionClass is not null && !retentionClasses.Contains(RetentionClass))
        {
            errors.Add("Audit.RetentionClass names a class that RetentionClasses does not define.");
        }

        if (SpoolDirectory is { Length: 0 })
        {
            errors.Add("Audit.SpoolDirectory must be null (default location) or a directory path.");
        }
        else if (SpoolDirectory is not null && File.Exists(SpoolDirectory))
        {
            // Caught at start-up as a configuration mistake, not as an audit failure of the first operation.
            errors.Add("Audit.SpoolDirectory names a file: it must name a directory (configuration HdsStorage:Audit:SpoolDirectory), or be left unset for the default location.");
        }
    }
}
