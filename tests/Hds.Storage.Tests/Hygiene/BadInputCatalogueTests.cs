using Hds.Storage.Access;
using Hds.Storage.Backends.Local;
using Hds.Storage.Models;
using Hds.Storage.Tests.TestSupport;
using static Hds.Storage.Tests.TestSupport.TestCertificates;

// Each row runs in milliseconds against a temporary directory.
#pragma warning disable xUnit1051

namespace Hds.Storage.Tests.Hygiene;

/// <summary>
/// The rows of the bad-input catalogue (docs/security.md) not already covered by a feature's own tests: each invalid value gives
/// its typed error and changes nothing in the store.
/// </summary>
public sealed class BadInputCatalogueTests : IDisposable
{
    private static readonly HdsAccessContext Context = new("agent-1", "tenant-a", "care");
    private static readonly HdsAccessContext LegalHold = new("legal-1", "tenant-a", HdsAuthorizationOptions.LegalHoldPurpose) { Role = HdsAuthorizationOptions.LegalRole };
    private static readonly HdsAccessContext Retention = LegalHold with { Purpose = HdsAuthorizationOptions.RetentionPurpose };
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    public static TheoryData<string> Rows => new(Cases.Keys);

    private static readonly Dictionary<string, (Type Error, Func<HdsStorageClient, HdsStorageReceipt, Task> Act)> Cases = new(StringComparer.Ordinal)
    {
        ["prefix with control character"] = (typeof(HdsInvalidRequestException), (c, _) => c.ListAsync("a\u0001", new HdsListOptions { Context = Context }).ToListAsync().AsTask()),
        ["page size 0"] = (typeof(HdsInvalidRequestException), (c, _) => c.ListAsync(null, new HdsListOptions { Context = Context, PageSize = 0 }).ToListAsync().AsTask()),
        ["page size 1001"] = (typeof(HdsInvalidRequestException), (c, _) => c.ListAsync(null, new HdsListOptions { Context = Context, PageSize = 1001 }).ToListAsync().AsTask()),
        ["empty version id"] = (typeof(HdsInvalidRequestException), (c, _) => c.GetAsync("doc", new HdsGetOptions { Context = Context, VersionId = string.Empty })),
        ["version id with a newline"] = (typeof(HdsInvalidRequestException), (c, _) => c.GetPropertiesAsync("doc", new HdsVersionOptions { VersionId = "v\n1", Context = Context })),
        ["version id of 1025 characters"] = (typeof(HdsInvalidRequestException), (c, _) => c.SetLegalHoldAsync("doc", true, new HdsVersionOptions { VersionId = new string('v', 1025), Context = LegalHold })),
        ["unknown version id"] = (typeof(HdsObjectNotFoundException), (c, _) => c.GetAsync("doc", new HdsGetOptions { Context = Context, VersionId = "no-such-version" })),
        ["retain-until in the past"] = (typeof(HdsInvalidRequestException), (c, _) => c.ExtendRetentionAsync("doc", DateTimeOffset.UtcNow.AddDays(-1), options: new HdsVersionOptions { Context = Retention })),
        ["retain-until earlier than the current one"] = (typeof(HdsObjectLockedException), (c, r) => c.ExtendRetentionAsync("doc", r.RetainUntil.AddDays(-30), options: new HdsVersionOptions { Context = Retention })),

        // Whatever the role: COMPLIANCE until year 9999 would block forever an erasure the law may require.
        ["retain-until beyond the horizon, legal role"] = (typeof(HdsInvalidRequestException), (c, _) => c.ExtendRetentionAsync("doc", new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero), options: new HdsVersionOptions { Context = Retention })),
        ["retain-until beyond the horizon, no role"] = (typeof(HdsInvalidRequestException), (c, _) => c.ExtendRetentionAsync("doc", new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero), options: new HdsVersionOptions { Context = Context })),
        ["negative range offset"] = (typeof(HdsInvalidRequestException), (c, _) => c.GetAsync("doc", new HdsGetOptions { Context = Context, Range = new HdsContentRange(-1, 10) })),
        ["negative range length"] = (typeof(HdsInvalidRequestException), (c, _) => c.GetAsync("doc", new HdsGetOptions { Context = Context, Range = new HdsContentRange(0, -10) })),
        ["content type with parameters"] = (typeof(HdsInvalidRequestException), (c, _) => c.PutAsync("new", new MemoryStream([1]), new HdsPutOptions { Context = Context, ContentType = "text/plain; name=x" })),
        ["content type without subtype"] = (typeof(HdsInvalidRequestException), (c, _) => c.PutAsync("new", new MemoryStream([1]), new HdsPutOptions { Context = Context, ContentType = "pdf" })),
        ["unknown retention class"] = (typeof(HdsInvalidRequestException), (c, _) => c.PutAsync("new", new MemoryStream([1]), new HdsPutOptions { Context = Context, RetentionClass = "forever" })),
        ["receipt of another key"] = (typeof(HdsInvalidRequestException), (c, r) => c.VerifyAsync("other", new HdsVerifyOptions { Context = Context, Receipt = r })),
        ["receipt with another digest"] = (typeof(HdsIntegrityException), (c, r) => c.VerifyAsync("doc", new HdsVerifyOptions { Context = Context, Receipt = r with { Sha256 = new string('0', 64) } })),
        ["missing context"] = (typeof(HdsAccessDeniedException), (c, _) => c.PutAsync("new", new MemoryStream([1]))),
        ["tenant with capitals"] = (typeof(HdsInvalidRequestException), (c, _) => c.PutAsync("new", new MemoryStream([1]), new HdsPutOptions { Context = Context with { Tenant = "Tenant-A" } })),
        ["purpose with a space"] = (typeof(HdsInvalidRequestException), (c, _) => c.PutAsync("new", new MemoryStream([1]), new HdsPutOptions { Context = Context with { Purpose = "care of x" } })),
        ["null content"] = (typeof(ArgumentNullException), (c, _) => c.PutAsync("new", null!, new HdsPutOptions { Context = Context })),
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task Invalid_input_gives_its_typed_error_and_writes_nothing(string row)
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        var receipt = await client.PutAsync("doc", new MemoryStream([1, 2, 3]), new HdsPutOptions { Context = Context });
        var before = await SnapshotAsync();

        var (expected, act) = Cases[row];
        var error = await Record.ExceptionAsync(() => act(client, receipt));
        Assert.NotNull(error);
        Assert.IsType(expected, error);

        var after = await SnapshotAsync();
        Assert.Equal(before, after);
    }

    [Theory]
    [InlineData("../")]
    [InlineData("../tenant-b/")]
    [InlineData("_hds/")]
    [InlineData("_hds/keys/")]
    public async Task A_prefix_cannot_leave_the_tenant_nor_reach_the_reserved_area(string prefix)
    {
        await using var client = _store.Client(Operational, PublicOnly(Escrow));
        await client.PutAsync("doc", new MemoryStream([1]), new HdsPutOptions { Context = Context });
        await client.PutAsync("doc", new MemoryStream([1]), new HdsPutOptions { Context = Context with { Tenant = "tenant-b" } });

        // A list prefix is always inside the caller's tenant ("tenant-a/" + prefix): these match nothing, anywhere else.
        var page = await client.ListPagesAsync(prefix, new HdsListOptions { Context = Context }).FirstAsync();
        Assert.Empty(page.Items);
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(32 * 1024 * 1024)]
    public void Segment_size_out_of_bounds_is_a_configuration_error(int size)
    {
        var options = _store.Options(Operational);
        options.Encryption.SegmentSize = size;
        Assert.Throws<HdsConfigurationException>(() => options.Validate());
    }

    [Fact]
    public void Key_lifetime_out_of_bounds_and_missing_certificate_files_are_configuration_errors()
    {
        var options = _store.Options(Operational);
        options.Encryption.KeyLifetime = TimeSpan.FromHours(1);
        options.Encryption.CertificateFiles.Add("/no/such/certificate.pem");
        var error = Assert.Throws<HdsConfigurationException>(() => options.Validate());
        Assert.Contains("KeyLifetime", error.Message, StringComparison.Ordinal);
        Assert.Contains("CertificateFiles", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void S3_options_with_a_relative_url_a_short_bucket_and_small_parts_are_configuration_errors()
    {
        var options = new HdsStorageOptions
        {
            S3 = new Hds.Storage.HdsS3StorageOptions { ServiceUrl = new Uri("/relative", UriKind.Relative), Bucket = "ab", PartSize = 1024, AccessKey = "only-one-half" },
        };
        options.Encryption.Certificates.Add(Operational);
        var error = Assert.Throws<HdsConfigurationException>(() => options.Validate());
        Assert.Contains("ServiceUrl", error.Message, StringComparison.Ordinal);
        Assert.Contains("Bucket", error.Message, StringComparison.Ordinal);
        Assert.Contains("PartSize", error.Message, StringComparison.Ordinal);
        Assert.Contains("SecretKey", error.Message, StringComparison.Ordinal);
    }

    // Every stored object and version (data, key ring); the audit trail grows with every call by design and is left out.
    private async Task<string> SnapshotAsync()
    {
        var backend = new LocalBackend(new HdsLocalStorageOptions { Path = _store.Path }, _store.Time);
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await backend.ListAsync(string.Empty, token, 1000, CancellationToken.None);
            keys.AddRange(page.Items.Select(i => i.Key).Where(k => !k.StartsWith("_hds/audit/", StringComparison.Ordinal)));
            token = page.ContinuationToken;
        }
        while (token is not null);

        var lines = new List<string>();
        foreach (var key in keys.Order(StringComparer.Ordinal))
        {
            var versions = await backend.ListVersionsAsync(key, CancellationToken.None);
            lines.Add(key + ":" + string.Join(",", versions.Select(v => v.VersionId + "/" + v.StoredLength)));
        }

        return string.Join("\n", lines);
    }
}
