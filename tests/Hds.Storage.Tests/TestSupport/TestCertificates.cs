using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Hds.Storage.Tests.TestSupport;

/// <summary>Certificates made with CertificateRequest, cached per test run (RSA key generation is slow).</summary>
internal static class TestCertificates
{
    private static readonly Lazy<X509Certificate2> LazyOperational = new(() => CreateRsa("CN=hds-test-operational"));
    private static readonly Lazy<X509Certificate2> LazyEscrow = new(() => CreateRsa("CN=hds-test-escrow"));
    private static readonly Lazy<X509Certificate2> LazyRenewed = new(() => CreateRsa("CN=hds-test-operational-renewed", notAfter: DateTimeOffset.UtcNow.AddYears(6)));

    /// <summary>The operational certificate, with its private key.</summary>
    public static X509Certificate2 Operational => LazyOperational.Value;

    /// <summary>The escrow certificate, with its private key (use <see cref="PublicOnly"/> for the normal configuration).</summary>
    public static X509Certificate2 Escrow => LazyEscrow.Value;

    public static X509Certificate2 Renewed => LazyRenewed.Value;

    /// <summary>An audit checkpoint signer (ECDSA P-256, with its private key): required on S3.</summary>
    public static X509Certificate2 AuditSigner => LazyAuditSigner.Value;

    private static readonly Lazy<X509Certificate2> LazyAuditSigner = new(() => CreateEcdsa("CN=hds-test-audit-signer"));

    public static X509Certificate2 CreateRsa(string subject, int bits = 2048, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var rsa = RSA.Create(bits);
        var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using var cert = request.CreateSelfSigned(notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddYears(5));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable);
    }

    public static X509Certificate2 CreateEcdsa(string subject)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, ecdsa, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable);
    }

    public static X509Certificate2 PublicOnly(X509Certificate2 certificate) => X509CertificateLoader.LoadCertificate(certificate.RawData);
}
