using System.Security.Cryptography.X509Certificates;

namespace Hds.Storage.Audit;

/// <summary>
/// Settings of the audit trail. Without any setting, the client still audits: records are spooled durably under the default
/// spool directory and uploaded to the bucket under "_hds/audit/", retention-locked, with unsigned chain verification only.
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
    /// time), written after every uploaded segment. Without a certificate no checkpoint is written (a warning is logged).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public X509Certificate2? CheckpointCertificate { get; set; }

    /// <summary>A PKCS#12 file holding the checkpoint certificate and key, used when <see cref="CheckpointCertificate"/> is null.</summary>
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

    /// <summary>The retention class of uploaded audit segments and checkpoints; the client's default class when null.</summary>
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

    internal void Validate(List<string> errors, ICollection<string> retentionClasses)
    {
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
            errors.Add("Audit.CheckpointCertificatePath names no file: give the path of a PKCS#12 (.pfx) file with the signing key.");
        }

        if (RetentionClass is not null && !retentionClasses.Contains(RetentionClass))
        {
            errors.Add("Audit.RetentionClass names a class that RetentionClasses does not define.");
        }

        if (SpoolDirectory is { Length: 0 })
        {
            errors.Add("Audit.SpoolDirectory must be null (default location) or a directory path.");
        }
    }
}
