using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Hds.Storage.Keys;

/// <summary>Loads and checks key-ring certificates: RSA (2048 bits or more), since key-ring entries use RSA-OAEP-SHA256 key transport.</summary>
internal static class CertificateLoader
{
    public static List<X509Certificate2> LoadAll(IEnumerable<X509Certificate2> certificates, IEnumerable<string> files, string? password)
    {
        var result = new List<X509Certificate2>(certificates);
        foreach (var path in files)
        {
            result.Add(Load(path, password));
        }

        var errors = new List<string>();
        foreach (var certificate in result)
        {
            Check(certificate, "Encryption", errors);
        }

        if (errors.Count > 0)
        {
            throw new HdsConfigurationException("Invalid key-ring certificates: " + string.Join(" ", errors));
        }

        // The same certificate given twice (instance and file) is one recipient.
        return result.DistinctBy(c => c.GetCertHashString(HashAlgorithmName.SHA256)).ToList();
    }

    public static X509Certificate2 Load(string path, string? password)
    {
        try
        {
            var extension = Path.GetExtension(path).ToUpperInvariant();
            if (extension is ".PFX" or ".P12")
            {
                return X509CertificateLoader.LoadPkcs12FromFile(path, password, X509KeyStorageFlags.EphemeralKeySet | X509KeyStorageFlags.Exportable);
            }

            var pem = File.ReadAllText(path);
            return pem.Contains("PRIVATE KEY-----", StringComparison.Ordinal)
                ? X509Certificate2.CreateFromPem(pem, pem)
                : X509Certificate2.CreateFromPem(pem);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new HdsConfigurationException($"The key-ring certificate file '{path}' cannot be loaded: check its format (PKCS#12 or PEM) and password.", ex);
        }
    }

    public static void Check(X509Certificate2 certificate, string source, List<string> errors)
    {
        using var rsa = certificate.GetRSAPublicKey();
        if (rsa is null)
        {
            errors.Add($"{source}: certificate {certificate.Thumbprint} has no RSA key. Key-ring entries are CMS EnvelopedData with RSA-OAEP-SHA256 key transport "
                + "(ECDH key agreement is not available for encryption in .NET's EnvelopedCms on every platform): use an RSA certificate of 2048 bits or more.");
        }
        else if (rsa.KeySize < 2048)
        {
            errors.Add($"{source}: certificate {certificate.Thumbprint} has an RSA key shorter than 2048 bits.");
        }

        // A certificate restricted to other uses (for example signature only) must not become a key-transport recipient.
        if (certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage
            && (usage.KeyUsages & X509KeyUsageFlags.KeyEncipherment) == 0)
        {
            errors.Add($"{source}: certificate {certificate.Thumbprint} does not allow key encipherment (its key usage forbids it): use a certificate issued for encryption.");
        }
    }
}
