using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Hds.Storage;

/// <summary>
/// FOR DEVELOPMENT ONLY: a self-signed RSA-3072 key-ring certificate kept, with its private key, in a local file, so that samples and
/// local tests encrypt with zero setup. Anyone who reads the file can decrypt everything written with it, and there is no escrow:
/// never use it for real health data. The client logs a warning whenever it is configured.
/// </summary>
public static class HdsDevelopmentCertificate
{
    /// <summary>The subject of development certificates; the client warns when a key-ring certificate has it.</summary>
    public const string SubjectName = "CN=Hds.Storage DEVELOPMENT certificate - NOT FOR HEALTH DATA";

    /// <summary>The file name used in the directory given to <see cref="CreateOrLoad"/>.</summary>
    public const string FileName = "hds-development-certificate.pfx";

    /// <summary>Loads the development certificate from <paramref name="directory"/>, creating it (and the directory) on first use.</summary>
    /// <param name="directory">A local directory, for example the embedded store's directory.</param>
    /// <returns>The certificate with its private key.</returns>
    public static X509Certificate2 CreateOrLoad(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        if (File.Exists(path))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, null, X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable);
        }

        using var rsa = RSA.Create(3072);
        var request = new CertificateRequest(SubjectName, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        using var certificate = request.CreateSelfSigned(TimeProvider.System.GetUtcNow().AddMinutes(-5), TimeProvider.System.GetUtcNow().AddYears(10));
        var pfx = certificate.Export(X509ContentType.Pkcs12);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var file = new FileStream(path, options))
            {
                file.Write(pfx);
            }

            return X509CertificateLoader.LoadPkcs12(pfx, null, X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pfx);
        }
    }

    internal static bool IsDevelopment(X509Certificate2 certificate) =>
        string.Equals(certificate.Subject, SubjectName, StringComparison.Ordinal);
}
