using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Hds.Storage.Audit;

/// <summary>Loads checkpoint signing and trusted certificates, and the embedded store's development signer.</summary>
internal static class AuditCertificates
{
    /// <summary>The file name of the embedded store's development signer (PKCS#12, no password) in the store's directory.</summary>
    public const string DevelopmentSignerFile = "audit-dev-signer.pfx";

    /// <summary>A signing certificate with its private key: PKCS#12 (.pfx, .p12) or PEM (certificate and private key).</summary>
    public static X509Certificate2 LoadSigner(string path, string? password)
    {
        X509Certificate2 certificate;
        try
        {
            var extension = Path.GetExtension(path).ToUpperInvariant();
            if (extension is ".PFX" or ".P12")
            {
                certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable);
            }
            else
            {
                var pem = File.ReadAllText(path);
                certificate = X509Certificate2.CreateFromPem(pem, pem);
            }
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new HdsConfigurationException(
                $"The audit checkpoint certificate file '{path}' cannot be loaded: give a PKCS#12 (.pfx) or PEM file with the certificate and its private key, "
                + "and a PKCS#12 file's password (Audit.CheckpointCertificatePassword: configuration HdsStorage:Audit:CheckpointCertificatePassword, for hds HDS_AUDIT_CERT_PASSWORD).", ex);
        }

        if (!certificate.HasPrivateKey)
        {
            throw new HdsConfigurationException($"The audit checkpoint certificate file '{path}' holds no private key: it signs checkpoints.");
        }

        return certificate;
    }

    /// <summary>A trusted signer's certificate (public part): PEM or DER.</summary>
    public static X509Certificate2 LoadTrusted(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            var text = System.Text.Encoding.ASCII.GetString(bytes);
            return text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(text)
                : X509CertificateLoader.LoadCertificate(bytes);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new HdsConfigurationException($"The trusted audit checkpoint certificate file '{path}' cannot be loaded: give a PEM or DER certificate.", ex);
        }
    }

    /// <summary>The embedded store's development signer's certificate when the store has one, else null.</summary>
    public static X509Certificate2? ExistingDevelopmentSigner(string storeDirectory)
    {
        var path = System.IO.Path.Combine(storeDirectory, DevelopmentSignerFile);
        return File.Exists(path) ? X509CertificateLoader.LoadPkcs12FromFile(path, null, X509KeyStorageFlags.EphemeralKeySet) : null;
    }

    /// <summary>
    /// The embedded store's development signer: a self-signed ECDSA P-256 certificate created once in the store's directory and used
    /// by every client of that store. For development only: whoever reads the directory can sign with it.
    /// </summary>
    public static (X509Certificate2 Certificate, string Path) DevelopmentSigner(string storeDirectory)
    {
        Directory.CreateDirectory(storeDirectory);
        var path = System.IO.Path.Combine(storeDirectory, DevelopmentSignerFile);
        if (!File.Exists(path))
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=hds-audit-development-signer", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
            using var created = request.CreateSelfSigned(TimeProvider.System.GetUtcNow().AddDays(-1), TimeProvider.System.GetUtcNow().AddYears(100));
            var tmp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllBytes(tmp, created.Export(X509ContentType.Pkcs12));
            try
            {
                File.Move(tmp, path, overwrite: false); // another client may have created it first: theirs is kept
            }
            catch (IOException) when (File.Exists(path))
            {
            }
            finally
            {
                File.Delete(tmp);
            }
        }

        return (X509CertificateLoader.LoadPkcs12FromFile(path, null, X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable), path);
    }
}
