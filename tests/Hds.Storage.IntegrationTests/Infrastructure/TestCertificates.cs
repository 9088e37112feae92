using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Hds.Storage.IntegrationTests.Infrastructure;

/// <summary>Real certificates generated for the test run: key-ring recipients (operational + escrow) and signers.</summary>
internal static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> LazyOperational = new(() => CreateRsa("CN=hds-it-operational"));
    private static readonly Lazy<X509Certificate2> LazyEscrow = new(() => CreateRsa("CN=hds-it-escrow"));
    private static readonly Lazy<X509Certificate2> LazyAuditSigner = new(() => CreateSigning("hds-it-audit-signer"));
    private static readonly Lazy<(string Operational, string Escrow, string AuditSigner, string AuditSignerPublic)> LazyFiles = new(WriteFiles);

    /// <summary>The operational key-ring certificate, with its private key.</summary>
    public static X509Certificate2 Operational => LazyOperational.Value;

    /// <summary>The escrow certificate, public part only (its private key is "offline").</summary>
    public static X509Certificate2 EscrowPublic { get; } = X509CertificateLoader.LoadCertificate(LazyEscrow.Value.Export(X509ContentType.Cert));

    /// <summary>The audit checkpoint signer of the test run (ECDSA P-256, with its private key): required on S3.</summary>
    public static X509Certificate2 AuditSigner => LazyAuditSigner.Value;

    /// <summary>
    /// PEM files for the CLI: the operational certificate with its key, the escrow certificate alone, the audit checkpoint signer with
    /// its key, and the signer's certificate alone (what an auditor trusts).
    /// </summary>
    public static (string Operational, string Escrow, string AuditSigner, string AuditSignerPublic) Files => LazyFiles.Value;

    /// <summary>Adds the operational and escrow certificates to the options' key ring, and the audit signer when none is set.</summary>
    public static void Apply(HdsStorageOptions options)
    {
        options.Encryption.Certificates.Add(Operational);
        options.Encryption.Certificates.Add(EscrowPublic);
        options.Audit.CheckpointCertificate ??= AuditSigner;
    }

    public static X509Certificate2 CreateSigning(string name = "hds-audit-test")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    private static X509Certificate2 CreateRsa(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, critical: true));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(2));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    private static (string, string, string, string) WriteFiles()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hds-it-certs-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        var operational = Path.Combine(dir, "operational.pem");
        using (var rsa = Operational.GetRSAPrivateKey()!)
        {
            File.WriteAllText(operational, Operational.ExportCertificatePem() + "\n" + rsa.ExportPkcs8PrivateKeyPem() + "\n");
        }

        var escrow = Path.Combine(dir, "escrow.pem");
        File.WriteAllText(escrow, EscrowPublic.ExportCertificatePem() + "\n");
        var signer = Path.Combine(dir, "audit-signer.pem");
        using (var ec = AuditSigner.GetECDsaPrivateKey()!)
        {
            File.WriteAllText(signer, AuditSigner.ExportCertificatePem() + "\n" + ec.ExportPkcs8PrivateKeyPem() + "\n");
        }

        var signerPublic = Path.Combine(dir, "audit-signer-cert.pem");
        File.WriteAllText(signerPublic, AuditSigner.ExportCertificatePem() + "\n");
        return (operational, escrow, signer, signerPublic);
    }
}
