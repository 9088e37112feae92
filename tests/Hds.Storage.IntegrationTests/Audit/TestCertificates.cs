using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Hds.Storage.IntegrationTests.Audit;

internal static class TestCertificates
{
    public static X509Certificate2 CreateSigning(string name = "hds-audit-test")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }
}
