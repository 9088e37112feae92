using Hds.Storage.Backends.S3;

namespace Hds.Storage.Tests.Sites;

public sealed class SiteOptionsTests
{
    private static SiteOptions Site(string name, int priority = 0, bool readOnly = false, string url = "http://127.0.0.1:7480") =>
        new() { Name = name, ServiceUrl = new Uri(url), Priority = priority, ReadOnly = readOnly };

    private static HdsConfigurationException Invalid(S3StorageOptions s3) =>
        Assert.Throws<HdsConfigurationException>(new HdsStorageOptions { S3 = s3 }.Validate);

    [Fact]
    public void Sites_are_tried_by_priority_then_in_list_order()
    {
        var s3 = new S3StorageOptions { Bucket = "bucket" };
        s3.Sites.Add(Site("backup", 5, readOnly: true));
        s3.Sites.Add(Site("paris", 1));
        s3.Sites.Add(Site("lyon", 1));

        var options = new HdsStorageOptions { S3 = s3 };
        options.Encryption.Certificates.Add(TestSupport.TestCertificates.Operational);
        options.Audit.CheckpointCertificate = TestSupport.TestCertificates.AuditSigner;
        options.Validate();

        Assert.Equal(["paris", "lyon", "backup"], s3.OrderedSites().Select(s => s.Name));
    }

    [Fact]
    public void A_service_url_is_one_writable_site()
    {
        var s3 = new S3StorageOptions { Bucket = "bucket", ServiceUrl = new Uri("http://127.0.0.1:7480") };

        var site = Assert.Single(s3.OrderedSites());

        Assert.False(site.ReadOnly);
        Assert.Equal(s3.ServiceUrl, site.ServiceUrl);
    }

    [Fact]
    public void Service_url_and_sites_together_are_refused()
    {
        var s3 = new S3StorageOptions { Bucket = "bucket", ServiceUrl = new Uri("http://127.0.0.1:7480") };
        s3.Sites.Add(Site("a"));

        Assert.Contains("not both", Invalid(s3).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_site_problem_is_reported_at_once()
    {
        var s3 = new S3StorageOptions { Bucket = "bucket", FailoverTimeout = TimeSpan.Zero, CircuitBreakDuration = TimeSpan.FromMilliseconds(10) };
        s3.Sites.Add(Site("a", readOnly: true));
        s3.Sites.Add(Site("a", readOnly: true));
        s3.Sites.Add(new SiteOptions { Name = "no url", ReadOnly = true });

        var message = Invalid(s3).Message;

        foreach (var expected in new[] { "twice", "not read-only", "Name of 1 to 64", "FailoverTimeout", "CircuitBreakDuration" })
        {
            Assert.Contains(expected, message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_site_without_an_http_url_is_refused()
    {
        var s3 = new S3StorageOptions { Bucket = "bucket" };
        s3.Sites.Add(new SiteOptions { Name = "ftp", ServiceUrl = new Uri("ftp://127.0.0.1/") });

        Assert.Contains("'ftp' needs a ServiceUrl", Invalid(s3).Message, StringComparison.Ordinal);
    }
}
