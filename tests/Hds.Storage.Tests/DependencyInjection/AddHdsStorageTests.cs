using Hds.Storage.Access;
using Hds.Storage.Retention;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.DependencyInjection;

public sealed class AddHdsStorageTests : IDisposable
{
    private readonly string _store = Path.Combine(Path.GetTempPath(), "hds-di-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_store))
        {
            Directory.Delete(_store, recursive: true);
        }
    }

    [Fact]
    public async Task The_client_is_resolved_from_configuration_and_works()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["HdsStorage:Local:Path"] = _store,
                ["HdsStorage:RetentionClasses:invoice:Mode"] = "Governance",
                ["HdsStorage:RetentionClasses:invoice:Duration"] = "3650.00:00:00",
            })
            .Build();
        await using var provider = new ServiceCollection().AddHdsStorage(configuration).Services.BuildServiceProvider();

        var client = provider.GetRequiredService<HdsStorageClient>();
        var options = provider.GetRequiredService<IOptions<HdsStorageOptions>>().Value;
        Assert.Same(client, provider.GetRequiredService<HdsStorageClient>());
        Assert.Equal(HdsRetentionMode.Governance, options.RetentionClasses["invoice"].Mode);
        Assert.Equal(TimeSpan.FromDays(3650), options.RetentionClasses["invoice"].Duration);
        Assert.True(options.RetentionClasses.ContainsKey("default"));

        var context = new HdsAccessContext("svc-1", "msa", "care");
        var receipt = await client.PutAsync("a.txt", new MemoryStream([1, 2, 3]), new HdsPutOptions { Context = context, RetentionClass = "invoice" }, TestContext.Current.CancellationToken);
        Assert.Equal(HdsRetentionMode.Governance, receipt.RetentionMode);
    }

    [Fact]
    public void Environment_variables_bind_with_double_underscores()
    {
        var prefix = "HDSTEST" + Guid.NewGuid().ToString("N")[..6] + "_";
        Environment.SetEnvironmentVariable(prefix + "HdsStorage__S3__ServiceUrl", "http://127.0.0.1:7480");
        Environment.SetEnvironmentVariable(prefix + "HdsStorage__S3__Bucket", "documents");
        Environment.SetEnvironmentVariable(prefix + "HdsStorage__S3__PartSize", "8388608");
        var pem = Path.Combine(Path.GetTempPath(), prefix + "cert.pem");
        File.WriteAllText(pem, TestSupport.TestCertificates.PublicOnly(TestSupport.TestCertificates.Escrow).ExportCertificatePem());
        Environment.SetEnvironmentVariable(prefix + "HdsStorage__Encryption__CertificateFiles__0", pem);
        var signer = Path.Combine(Path.GetTempPath(), prefix + "audit-signer.pem");
        using (var key = System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.GetECDsaPrivateKey(TestSupport.TestCertificates.AuditSigner)!)
        {
            File.WriteAllText(signer, TestSupport.TestCertificates.AuditSigner.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n");
        }

        Environment.SetEnvironmentVariable(prefix + "HdsStorage__Audit__CheckpointCertificatePath", signer);
        try
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build();
            using var provider = new ServiceCollection().AddHdsStorage(configuration).Services.BuildServiceProvider();

            var options = provider.GetRequiredService<IOptions<HdsStorageOptions>>().Value;
            Assert.Equal(new Uri("http://127.0.0.1:7480"), options.S3!.ServiceUrl);
            Assert.Equal("documents", options.S3.Bucket);
            Assert.Equal(8 * 1024 * 1024, options.S3.PartSize);
            Assert.Equal([pem], options.Encryption.CertificateFiles);
            Assert.Equal(signer, options.Audit.CheckpointCertificatePath);
        }
        finally
        {
            Environment.SetEnvironmentVariable(prefix + "HdsStorage__Encryption__CertificateFiles__0", null);
            Environment.SetEnvironmentVariable(prefix + "HdsStorage__Audit__CheckpointCertificatePath", null);
            File.Delete(pem);
            File.Delete(signer);
            Environment.SetEnvironmentVariable(prefix + "HdsStorage__S3__ServiceUrl", null);
            Environment.SetEnvironmentVariable(prefix + "HdsStorage__S3__Bucket", null);
            Environment.SetEnvironmentVariable(prefix + "HdsStorage__S3__PartSize", null);
        }
    }

    [Fact]
    public async Task Invalid_options_fail_at_start_up_with_every_problem_listed()
    {
        var services = new ServiceCollection().AddHdsStorage(o => o.DefaultRetentionClass = "missing").Services;
        await using var provider = services.BuildServiceProvider();

        // ValidateOnStart runs through the options validation startup hook, as the host does.
        var validation = provider.GetRequiredService<IStartupValidator>();
        var ex = Assert.Throws<OptionsValidationException>(validation.Validate);
        Assert.Contains("No storage backend is configured", ex.Message, StringComparison.Ordinal);
        Assert.Contains("\"HdsStorage\": { \"Local\"", ex.Message, StringComparison.Ordinal); // where the setting goes
        Assert.DoesNotContain("HdsDevelopmentCertificate", ex.Message, StringComparison.Ordinal); // not a certificate problem yet
        Assert.Contains("DefaultRetentionClass", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keyed_clients_use_their_own_options()
    {
        var archive = _store + "-archive";
        var services = new ServiceCollection();
        services.AddHdsStorage(o => o.Local = new() { Path = _store });
        services.AddKeyedHdsStorage("archive", o => o.Local = new() { Path = archive });
        await using var provider = services.BuildServiceProvider();

        var main = provider.GetRequiredService<HdsStorageClient>();
        var other = provider.GetRequiredKeyedService<HdsStorageClient>("archive");
        Assert.NotSame(main, other);

        var context = new HdsAccessContext("svc-1", "msa", "care");
        await other.PutAsync("x", new MemoryStream([1]), new HdsPutOptions { Context = context }, TestContext.Current.CancellationToken);
        Assert.Empty(await main.ListAsync(null, new HdsListOptions { Context = context }, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));
        Assert.Single(await other.ListAsync(null, new HdsListOptions { Context = context }, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken));
        Directory.Delete(archive, recursive: true);
    }
}
