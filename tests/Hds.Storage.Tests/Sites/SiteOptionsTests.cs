using Hds.Storage.Backends.S3;

namespace Hds.Storage.Tests.Sites;

public sealed class SiteOptionsTests
{
    private static HdsSiteOptions Site(string name, int priority = 0, bool readOnly = false, string url = "http://127.0.0.1:7480") =>
        new() { Name = name, ServiceUrl = new Uri(url), Priority = priority, ReadOnly = readOnly };

    private static HdsConfigurationException Invalid(HdsS3StorageOptions s3) =>
        Assert.Throws<HdsConfigurationException>(new HdsStorageOptions { S3 = s3 }.Validate);

    [Fact]
    public void Sites_are_tried_by_priority_then_in_list_order()
    {
        var s3 = new HdsS3StorageOptions { Bucket = "bucket" };
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
        var s3 = new HdsS3StorageOptions { Bucket = "bucket", ServiceUrl = new Uri("http://127.0.0.1:7480") };

        var site = Assert.Single(s3.OrderedSites());

        Assert.False(site.ReadOnly);
        Assert.Equal(s3.ServiceUrl, site.ServiceUrl);
    }

    [Fact]
    public void Service_url_and_sites_together_are_refused()
    {
        var s3 = new HdsS3StorageOptions { Bucket = "bucket", ServiceUrl = new Uri("http://127.0.0.1:7480") };
        s3.Sites.Add(Site("a"));

        Assert.Contains("not both", Invalid(s3).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_site_problem_is_reported_at_once()
    {
        var s3 = new HdsS3StorageOptions { Bucket = "bucket", FailoverTimeout = TimeSpan.Zero, CircuitBreakDuration = TimeSpan.FromMilliseconds(10) };
        s3.Sites.Add(Site("a", readOnly: true));
        s3.Sites.Add(Site("a", readOnly: true));
        s3.Sites.Add(new HdsSiteOptions { Name = "no url", ReadOnly = true });

        var message = Invalid(s3).Message;

        foreach (var expected in new[] { "twice", "not read-only", "Name of 1 to 64", "FailoverTimeout", "CircuitBreakDuration" })
        {
            Assert.Contains(expected, message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_site_without_an_http_url_is_refused()
    {
        var s3 = new HdsS3StorageOptions { Bucket = "bucket" };
        s3.Sites.Add(new HdsSiteOptions { Name = "ftp", ServiceUrl = new Uri("ftp://127.0.0.1/") });

        Assert.Contains("'ftp' needs a ServiceUrl", Invalid(s3).Message, StringComparison.Ordinal);
    }

    private static HdsS3StorageOptions Replicating(TimeSpan probeInterval, int sites = 2)
    {
        var s3 = new HdsS3StorageOptions { Bucket = "bucket", AsynchronousReplication = true, ReplicationLagProbeInterval = probeInterval };
        for (var i = 0; i < sites; i++)
        {
            s3.Sites.Add(Site("z" + i, i, url: "http://127.0.0.1:" + (7480 + i)));
        }

        return s3;
    }

    [Fact]
    public void The_replication_lag_monitor_is_off_by_default_and_accepted_between_replicating_sites()
    {
        Assert.Equal(TimeSpan.Zero, new HdsS3StorageOptions().ReplicationLagProbeInterval);

        var options = new HdsStorageOptions { S3 = Replicating(TimeSpan.FromMinutes(1)) };
        options.Encryption.Certificates.Add(TestSupport.TestCertificates.Operational);
        options.Audit.CheckpointCertificate = TestSupport.TestCertificates.AuditSigner;
        options.Validate();
    }

    [Theory]
    [InlineData(-1_000)]
    [InlineData(500)]
    public void A_replication_lag_probe_interval_below_one_second_is_refused(int milliseconds)
    {
        Assert.Contains(
            "S3.ReplicationLagProbeInterval must be zero (no lag monitor) or at least 1 second",
            Invalid(Replicating(TimeSpan.FromMilliseconds(milliseconds))).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_replication_lag_monitor_needs_two_replicating_sites_and_a_timeout_to_wait_for_the_probe()
    {
        var oneSite = Replicating(TimeSpan.FromMinutes(1), sites: 1);
        Assert.Contains("needs at least two S3.Sites", Invalid(oneSite).Message, StringComparison.Ordinal);

        var serviceUrl = new HdsS3StorageOptions
        {
            Bucket = "bucket", ServiceUrl = new Uri("http://127.0.0.1:7480"), AsynchronousReplication = true, ReplicationLagProbeInterval = TimeSpan.FromMinutes(1),
        };
        Assert.Contains("needs at least two S3.Sites", Invalid(serviceUrl).Message, StringComparison.Ordinal);

        var gateways = Replicating(TimeSpan.FromMinutes(1));
        gateways.AsynchronousReplication = false;
        Assert.Contains("set S3.AsynchronousReplication", Invalid(gateways).Message, StringComparison.Ordinal);

        var noWait = Replicating(TimeSpan.FromMinutes(1));
        noWait.ReplicationLagTimeout = TimeSpan.Zero;
        Assert.Contains("needs a positive S3.ReplicationLagTimeout", Invalid(noWait).Message, StringComparison.Ordinal);
    }
}
