using Hds.Storage.Backends.Local;
using Hds.Storage.Backends.S3;
using Hds.Storage.Retention;
using Hds.Storage.Models;

namespace Hds.Storage.Tests;

public sealed class HdsStorageOptionsTests
{
    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var options = new HdsStorageOptions
        {
            S3 = new HdsS3StorageOptions { Bucket = "x", PartSize = 1024, AccessKey = "only-half" },
            DefaultRetentionClass = "missing",
        };
        options.RetentionClasses["bad"] = new HdsRetentionClass { Mode = HdsRetentionMode.None };

        var ex = Assert.Throws<HdsConfigurationException>(options.Validate);

        foreach (var expected in new[] { "ServiceUrl", "Bucket", "PartSize", "SecretKey", "DefaultRetentionClass", "'bad'" })
        {
            Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Exactly_one_backend_is_required()
    {
        Assert.Throws<HdsConfigurationException>(new HdsStorageOptions().Validate);
        var both = new HdsStorageOptions
        {
            Local = new HdsLocalStorageOptions { Path = "/tmp/x" },
            S3 = new HdsS3StorageOptions { ServiceUrl = new Uri("http://127.0.0.1:1"), Bucket = "bucket" },
        };
        Assert.Throws<HdsConfigurationException>(both.Validate);
    }

    [Fact]
    public void A_client_cannot_be_built_from_invalid_options() =>
        Assert.Throws<HdsConfigurationException>(() => new HdsStorageClient(new HdsStorageOptions()));

    [Fact]
    public void S3_without_an_audit_checkpoint_signer_is_refused_with_what_to_configure()
    {
        var options = new HdsStorageOptions { S3 = new HdsS3StorageOptions { ServiceUrl = new Uri("http://127.0.0.1:1"), Bucket = "bucket" } };
        options.Encryption.Certificates.Add(TestSupport.TestCertificates.Operational);

        var ex = Assert.Throws<HdsConfigurationException>(() => new HdsStorageClient(options));

        Assert.Contains("Audit checkpoints must be signed on S3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Audit.CheckpointCertificatePath", ex.Message, StringComparison.Ordinal);
        options.Audit.CheckpointCertificate = TestSupport.TestCertificates.AuditSigner;
        options.Validate();
    }

    [Fact]
    public void An_audit_spool_directory_naming_a_file_is_refused_at_start_up_with_its_configuration_key()
    {
        var file = Path.GetTempFileName();
        try
        {
            var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = Path.Combine(Path.GetTempPath(), "hds-spool-" + Guid.NewGuid().ToString("N")) } };
            options.Audit.SpoolDirectory = file;

            var ex = Assert.Throws<HdsConfigurationException>(options.Validate);

            Assert.Contains("Audit.SpoolDirectory names a file", ex.Message, StringComparison.Ordinal);
            Assert.Contains("HdsStorage:Audit:SpoolDirectory", ex.Message, StringComparison.Ordinal);
            options.Audit.SpoolDirectory = Path.GetDirectoryName(file);
            options.Validate();
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task The_embedded_store_signs_checkpoints_with_a_development_signer_kept_in_its_directory()
    {
        var dir = Path.Combine(Path.GetTempPath(), "hds-devsigner-" + Guid.NewGuid().ToString("N"));
        try
        {
            var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = dir } };
            options.Validate();
            await using (new HdsStorageClient(options))
            {
            }

            Assert.True(File.Exists(Path.Combine(dir, "audit-dev-signer.pfx")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

/// <summary>Issue 18: a relative Local.Path never lands in the process's current directory (an app's content root).</summary>
public sealed class LocalStorePathTests
{
    private static readonly string DataFolder = Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.DoNotVerify), "Hds.Storage");

    [Theory]
    [InlineData("hds-store", "hds-store")]
    [InlineData("./hds-store", "hds-store")]
    [InlineData("stores/../dev", "dev")]
    public void A_relative_path_goes_under_the_users_data_folder_not_the_current_directory(string path, string expected)
    {
        var resolved = new HdsLocalStorageOptions { Path = path }.FullPath;

        Assert.Equal(Path.Combine(DataFolder, expected), resolved);
        Assert.False(resolved.StartsWith(Environment.CurrentDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal));
    }

    [Fact]
    public void An_absolute_path_is_used_as_is()
    {
        var absolute = Path.Combine(Path.GetTempPath(), "hds-abs", "store");
        Assert.Equal(absolute, new HdsLocalStorageOptions { Path = absolute }.FullPath);
    }

    [Fact]
    public void Start_up_validation_refuses_a_relative_path_that_names_a_file_under_the_data_folder()
    {
        Directory.CreateDirectory(DataFolder);
        var name = "not-a-store-" + Guid.NewGuid().ToString("N") + ".txt";
        File.WriteAllText(Path.Combine(DataFolder, name), "x");
        try
        {
            var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = name } };
            var error = Assert.Throws<HdsConfigurationException>(options.Validate);
            Assert.Contains("Local.Path names a file", error.Message, StringComparison.Ordinal);
            Assert.Empty(new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = "hds-store-" + Guid.NewGuid().ToString("N") } }.Problems());
        }
        finally
        {
            File.Delete(Path.Combine(DataFolder, name));
        }
    }
}
