using Hds.Storage.Encryption;
using System.Security.Cryptography.X509Certificates;
using Hds.Storage.Keys;

namespace Hds.Storage;

/// <summary>
/// Client-side envelope encryption settings (docs/format.md). Every write is encrypted: configure at least one certificate (the
/// operational one, with its private key) and preferably an escrow certificate (public part only, its private key kept offline),
/// or a <see cref="KeyProvider"/>. For development, <see cref="HdsDevelopmentCertificate.CreateOrLoad"/> makes a local certificate; the
/// embedded local store uses one automatically (kept in its directory, with a warning in the logs) when nothing is configured.
/// </summary>
public sealed class HdsEncryptionOptions
{
    /// <summary>The key-ring certificates: every key-ring entry is encrypted to each of them; those with a private key open it.</summary>
    /// <value>The default value is an empty list.</value>
    public IList<X509Certificate2> Certificates { get; } = new List<X509Certificate2>();

    /// <summary>
    /// Paths of more key-ring certificates: PKCS#12 (.pfx, .p12; password from <see cref="CertificatePassword"/>) or PEM (.pem, .crt, .cer,
    /// holding the certificate and optionally its private key).
    /// </summary>
    /// <value>The default value is an empty list.</value>
    public IList<string> CertificateFiles { get; } = new List<string>();

    /// <summary>The password of the PKCS#12 files in <see cref="CertificateFiles"/>.</summary>
    /// <value>The default value is <see langword="null"/> (no password).</value>
    public string? CertificatePassword { get; set; }

    /// <summary>How long a key-encryption key is used for new writes before a new one is created automatically. It still decrypts afterwards.</summary>
    /// <value>The default value is 90 days.</value>
    public TimeSpan KeyLifetime { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Plaintext bytes per encrypted segment (4 KiB to 16 MiB): the unit of memory, of ranged reads and of verification.</summary>
    /// <value>The default value is 262,144 (256 KiB), measured in docs/benchmarks.md.</value>
    public int SegmentSize { get; set; } = FormatV1.DefaultSegmentSize;

    /// <summary>A KMS or HSM holding the key-encryption keys instead of the certificate-protected key ring.</summary>
    /// <value>The default value is <see langword="null"/>: the key ring in the bucket, protected by <see cref="Certificates"/>.</value>
    public HdsKeyEncryptionKeyProvider? KeyProvider { get; set; }

    /// <summary>Whether neither certificates nor a key provider are configured.</summary>
    internal bool IsUnconfigured => KeyProvider is null && Certificates.Count == 0 && CertificateFiles.Count == 0;

    internal void Validate(List<string> errors, bool embeddedStore)
    {
        // The embedded store is for development: without configuration it uses a development certificate kept in the store
        // (HdsDevelopmentCertificate), so samples and offline work need no set-up. S3 never does.
        if (IsUnconfigured && !embeddedStore)
        {
            errors.Add("Encryption needs key-ring certificates (Encryption.Certificates or Encryption.CertificateFiles) or a KeyProvider: every write is encrypted. "
                + "In configuration: HdsStorage:Encryption:CertificateFiles (hds: --cert and --escrow-cert), a key-ring certificate with its private key and an escrow certificate. "
                + "For development without certificates, use the embedded store (Local), which makes a development certificate.");
        }

        if (SegmentSize is < FormatV1.MinSegmentSize or > FormatV1.MaxSegmentSize)
        {
            errors.Add($"Encryption.SegmentSize must be between {FormatV1.MinSegmentSize} and {FormatV1.MaxSegmentSize} bytes.");
        }

        if (KeyLifetime < TimeSpan.FromDays(1) || KeyLifetime > TimeSpan.FromDays(3650))
        {
            errors.Add("Encryption.KeyLifetime must be between 1 day and 10 years.");
        }

        foreach (var certificate in Certificates)
        {
            CertificateLoader.Check(certificate, "Encryption.Certificates", errors);
        }

        foreach (var path in CertificateFiles)
        {
            if (string.IsNullOrWhiteSpace(path) || !File.Exists(path))
            {
                errors.Add($"Encryption.CertificateFiles: file '{path}' does not exist.");
            }
        }
    }
}
