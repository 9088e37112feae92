using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Hds.Storage.Access;
using Hds.Storage.Backends.Local;
using Microsoft.Extensions.Time.Testing;

namespace Hds.Storage.Tests.TestSupport;

/// <summary>A fresh embedded store in a temporary directory, and clients over it with chosen certificates.</summary>
internal sealed class TestStore : IDisposable
{
    public TestStore()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hds-tests-" + Guid.NewGuid().ToString("N"));
    }

    public string Path { get; }

    // Starts at the real time: the test certificates are valid from yesterday for five years.
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    public static HdsAccessContext Context(string tenant = "tenant-a") => new("actor-1", tenant, "care");

    public static HdsPutOptions Put(string tenant = "tenant-a") => new() { Context = Context(tenant) };

    /// <summary>
    /// A key officer's context: the key-ring operations are allowed for the purpose "key-management", the role "key-admin" and the
    /// operating tenant only.
    /// </summary>
    public static HdsRequestOptions Keys() =>
        new() { Context = new("officer-1", HdsAuthorizationOptions.DefaultOperatingTenant, HdsAuthorizationOptions.KeyManagementPurpose) { Role = HdsAuthorizationOptions.KeyAdminRole } };

    /// <summary>An auditor's context: purpose "audit" and role "auditor".</summary>
    public static HdsRequestOptions Auditor(string tenant = "tenant-a") =>
        new() { Context = new("auditor-1", tenant, HdsAuthorizationOptions.AuditPurpose) { Role = HdsAuthorizationOptions.AuditorRole } };

    public static HdsGetOptions Get(string tenant = "tenant-a", string? versionId = null) => new() { Context = Context(tenant), VersionId = versionId };

    public HdsStorageOptions Options(params X509Certificate2[] certificates)
    {
        var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = Path } };
        foreach (var certificate in certificates)
        {
            options.Encryption.Certificates.Add(certificate);
        }

        options.Encryption.SegmentSize = 4096;
        options.Encryption.KeyLifetime = TimeSpan.FromDays(30);
        return options;
    }

    public HdsStorageClient Client(params X509Certificate2[] certificates) => new(Options(certificates), Time, null);

    /// <summary>The data file of the latest version of a physical key.</summary>
    public string DataFile(string physicalKey)
    {
        var dir = System.IO.Path.Combine(Path, "objects", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(physicalKey))));
        return Directory.GetFiles(dir, "*.bin").Order(StringComparer.Ordinal).Last();
    }

    public static async Task<byte[]> ReadAllAsync(HdsStorageClient client, string key, HdsGetOptions options)
    {
        await using var download = await client.GetAsync(key, options);
        using var buffer = new MemoryStream();
        await download.Content.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
