using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Hds.Storage.IntegrationTests.Infrastructure;

namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>Key rewrap, audit tampering, configuration layers and help, on the embedded store (no server needed).</summary>
public sealed partial class LocalCliTests
{
    [Fact]
    public async Task Keys_rewrap_to_a_renewed_certificate_keeps_every_object_readable_with_the_new_certificate_alone()
    {
        var store = await NewStoreAsync("rewrap-store", "--cert", TestCertificates.Files.Operational);
        var renewed = WriteCertificate("CN=hds-it-renewed");
        string[] old = ["--local", store, "--cert", TestCertificates.Files.Operational];
        var content = RandomBytes(3000);
        AssertExit(0, await Raw(["put", WriteInput(content), "doc", .. old, .. Context]));
        AssertExit(0, await Raw(["keys", "rotate", .. old, .. KeyManagement]));
        AssertExit(0, await Raw(["put", WriteInput(content), "doc-2", .. old, .. Context]));
        string[] renewedOnly = ["--local", store, "--cert", renewed];
        AssertError(2, "Configuration", await Raw(["verify", "doc", .. renewedOnly, .. Context])); // not yet encrypted to the renewed certificate

        var rewrap = await Raw(["keys", "rewrap", "--local", store, "--cert", TestCertificates.Files.Operational, "--cert", renewed, .. KeyManagement]);
        var again = await Raw(["keys", "rewrap", "--local", store, "--cert", TestCertificates.Files.Operational, "--cert", renewed, .. KeyManagement]);

        AssertExit(0, rewrap);
        Assert.Equal(2, rewrap.Json().GetProperty("rewrapped").GetInt32());
        Assert.Equal(0, again.Json().GetProperty("rewrapped").GetInt32());
        var output = Path.Combine(WorkDir, "rewrapped.out");
        AssertExit(0, await Raw(["get", "doc", "--out", output, .. renewedOnly, .. Context]));
        Assert.Equal(content, await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken));
        AssertExit(0, await Raw(["verify", "doc-2", .. renewedOnly, .. Context]));
        var keys = await Raw(["keys", "list", .. renewedOnly, .. KeyManagement]);
        Assert.All(keys.Json().EnumerateArray(), k => Assert.Equal(2, k.GetProperty("recipients").GetArrayLength()));
    }

    [Fact]
    public async Task Audit_verify_of_a_tampered_trail_exits_4_with_the_problems()
    {
        var store = await NewStoreAsync("audit-store");
        string[] local = ["--local", store];
        for (var i = 0; i < 3; i++)
        {
            AssertExit(0, await Raw(["put", WriteInput([1, 2, 3]), "doc-" + i, .. local, .. Context]));
        }

        AssertExit(0, await Raw(["audit", "verify", .. local, .. Context])); // uploads the spooled records

        // An administrator rewrites who did it, in the stored segment (below the SDK, the file is read-only for it).
        var segment = Directory.EnumerateFiles(Path.Combine(store, "objects"), "*.bin", SearchOption.AllDirectories)
            .First(f => File.ReadAllText(f).Contains("\"op\":\"Put\"", StringComparison.Ordinal));
        File.SetAttributes(segment, FileAttributes.Normal);
        await File.WriteAllTextAsync(segment, (await File.ReadAllTextAsync(segment, TestContext.Current.CancellationToken)).Replace("op-42", "op-99", StringComparison.Ordinal), TestContext.Current.CancellationToken);

        var verify = await Raw(["audit", "verify", .. local, .. Context]);

        AssertError(4, "Integrity", verify);
        Assert.False(verify.Json().GetProperty("valid").GetBoolean());
        Assert.NotEmpty(verify.Json().GetProperty("problems").EnumerateArray());
    }

    [Fact]
    public async Task Configuration_comes_from_hds_json_then_environment_then_flags_and_config_show_masks_secrets()
    {
        await File.WriteAllTextAsync(Path.Combine(WorkDir, "hds.json"), """
            {
              "HdsStorage": {
                "S3": { "ServiceUrl": "https://s3.file.example", "Bucket": "from-file", "AccessKey": "AKIAFILE", "SecretKey": "file-secret-canary" },
                "Encryption": { "CertificateFiles": [ "certs/ops.pem" ], "CertificatePassword": "pfx-password-canary", "KeyLifetime": "30.00:00:00" },
                "Audit": { "BatchSize": 64 }
              }
            }
            """, TestContext.Current.CancellationToken);
        var environment = new Dictionary<string, string>
        {
            ["HdsStorage__S3__Bucket"] = "from-env",
            ["HDS_AUDIT__BATCHSIZE"] = "32",
            ["HDS_S3__SECRETKEY"] = "env-secret-canary",
        };

        var show = await CliRunner.RunAsync(["config", "show"], environment: environment, workingDirectory: WorkDir);
        var flags = await CliRunner.RunAsync(["config", "show", "--bucket", "from-flag"], environment: environment, workingDirectory: WorkDir);

        AssertExit(0, show);
        var options = show.Json().GetProperty("HdsStorage");
        Assert.Equal("https://s3.file.example/", options.GetProperty("S3").GetProperty("ServiceUrl").GetString());
        Assert.Equal("from-env", options.GetProperty("S3").GetProperty("Bucket").GetString());
        Assert.Equal(32, options.GetProperty("Audit").GetProperty("BatchSize").GetInt32());
        Assert.Equal("30.00:00:00", options.GetProperty("Encryption").GetProperty("KeyLifetime").GetString());
        Assert.Equal(Path.Combine(WorkDir, "certs", "ops.pem"), options.GetProperty("Encryption").GetProperty("CertificateFiles")[0].GetString());
        Assert.Equal("***", options.GetProperty("S3").GetProperty("SecretKey").GetString());
        Assert.Equal("***", options.GetProperty("S3").GetProperty("AccessKey").GetString());
        Assert.Equal("***", options.GetProperty("Encryption").GetProperty("CertificatePassword").GetString());
        Assert.DoesNotContain("canary", show.StdoutText + show.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("AKIAFILE", show.StdoutText, StringComparison.Ordinal);
        Assert.False(show.Json().GetProperty("valid").GetBoolean()); // the certificate file does not exist
        Assert.Contains(show.Json().GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains("CertificateFiles", StringComparison.Ordinal));
        Assert.Equal("from-flag", flags.Json().GetProperty("HdsStorage").GetProperty("S3").GetProperty("Bucket").GetString());
    }

    [Fact]
    public async Task A_config_file_can_hold_the_whole_backend_so_commands_need_only_the_access_context()
    {
        var configDir = Path.Combine(WorkDir, "etc");
        Directory.CreateDirectory(configDir);
        var configFile = Path.Combine(configDir, "store.json");
        await File.WriteAllTextAsync(configFile, """{ "HdsStorage": { "Local": { "Path": "store" } } }""", TestContext.Current.CancellationToken);
        var content = RandomBytes(500);
        AssertExit(0, await Raw(["bucket", "create", "--config", configFile, .. Context]));

        var put = await Raw(["put", WriteInput(content), "configured", "--config", configFile, .. Context]);
        var output = Path.Combine(WorkDir, "configured.out");
        var get = await Raw(["get", "configured", "--out", output, "--config", configFile, .. Context]);

        AssertExit(0, put);
        AssertExit(0, get);
        Assert.Equal(content, await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken));
        Assert.True(Directory.Exists(Path.Combine(configDir, "store"))); // relative to the file, not to the working directory
        AssertError(2, "Configuration", await Raw(["ls", "--config", Path.Combine(WorkDir, "absent.json"), .. Context]));
        await File.WriteAllTextAsync(configFile, "{ not json", TestContext.Current.CancellationToken);
        AssertError(2, "Configuration", await Raw(["ls", "--config", configFile, .. Context]));
    }

    [Theory]
    [InlineData("bucket", "check")]
    [InlineData("bucket", "create")]
    [InlineData("put")]
    [InlineData("get")]
    [InlineData("head")]
    [InlineData("ls")]
    [InlineData("versions")]
    [InlineData("delete")]
    [InlineData("legal-hold")]
    [InlineData("retention", "extend")]
    [InlineData("verify")]
    [InlineData("keys", "list")]
    [InlineData("keys", "rotate")]
    [InlineData("keys", "rewrap")]
    [InlineData("keys", "revoke")]
    [InlineData("audit", "verify")]
    [InlineData("audit", "tail")]
    [InlineData("config", "show")]
    public async Task Every_command_has_help_with_an_example(params string[] command)
    {
        var help = await Raw([.. command, "--help"]);

        AssertExit(0, help);
        Assert.Contains("Example:", help.StdoutText, StringComparison.Ordinal);
        Assert.Contains("hds " + string.Join(' ', command), help.StdoutText, StringComparison.Ordinal);
        Assert.Contains("--cert", help.StdoutText, StringComparison.Ordinal);
        Assert.Contains("HDS_CERT_PASSWORD", help.StdoutText, StringComparison.Ordinal);
    }

    private string WriteCertificate(string subject)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, critical: true));
        // Expires after the test operational certificate (2 years), as a renewal does: the key ring signs with the certificate that
        // expires last, and with equal expiries (same second, when this test is the first to create the operational one) it kept the old one.
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(3));
        var path = Path.Combine(WorkDir, Guid.NewGuid().ToString("N") + ".pem");
        File.WriteAllText(path, certificate.ExportCertificatePem() + "\n" + key.ExportPkcs8PrivateKeyPem() + "\n", Encoding.ASCII);
        return path;
    }
}
