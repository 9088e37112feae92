using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Keys;
using Hds.Storage.Objects;

namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>
/// Issue 14: what a holder of the bucket's S3 credentials can do through the plain S3 API (AWSSDK.S3 against the project's Ceph
/// RGW) with object lock on — add versions, never remove them — and what the <c>hds</c> CLI must answer: a rolled-back key-ring
/// entry leaves its key revoked, an older version stored again as the newest is refused, a truncated newest version fails a
/// ranged read. Its own bucket (the key ring is changed).
/// </summary>
public sealed class S3RollbackCliTests(S3CliBackend backend) : IClassFixture<S3CliBackend>, IDisposable
{
    private const string Tenant = "msa-test";
    private static readonly string[] Context = ["--actor", "op-42", "--tenant", Tenant, "--purpose", "audit"];
    private static readonly string[] KeyManagement = ["--actor", "officer-12", "--tenant", "operator", "--purpose", "key-management", "--role", "key-admin"];
    private readonly string _prefix = "rb-" + Guid.NewGuid().ToString("N")[..12] + "/";
    private readonly string _work = Directory.CreateTempSubdirectory("hds-rollback-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public async Task Re_storing_the_key_ring_entry_from_before_its_revocation_leaves_the_key_revoked()
    {
        // The only test of this class that revokes: it rotates first, so the key it revokes is its own.
        AssertExit(0, await Raw(["keys", "rotate", .. backend.BackendArgs, .. KeyManagement]));
        var receipt = await PutAsync(_prefix + "doc", RandomNumberGenerator.GetBytes(5000));
        var keyId = receipt.GetProperty("keyId").GetString()!;
        using var s3 = backend.CreateRawClient();
        var entryKey = KeyRingStore.PhysicalKey(keyId);
        var beforeRevocation = await ReadAsync(s3, entryKey);
        AssertExit(0, await Raw(["keys", "revoke", keyId, .. backend.BackendArgs, .. KeyManagement]));

        await WriteAsync(s3, entryKey, beforeRevocation, null);

        Assert.Equal(beforeRevocation, await ReadAsync(s3, entryKey)); // the newest version is the pre-revocation one
        AssertError(4, await Hds("get", _prefix + "doc", "--out", Path.Combine(_work, "doc.out")));
        var next = await PutAsync(_prefix + "next", RandomNumberGenerator.GetBytes(5000));
        Assert.NotEqual(keyId, next.GetProperty("keyId").GetString());
        var listed = await Raw(["keys", "list", .. backend.BackendArgs, .. KeyManagement]);
        AssertExit(0, listed);
        var entry = Assert.Single(listed.Json().EnumerateArray(), k => k.GetProperty("id").GetString() == keyId);
        Assert.NotEqual(JsonValueKind.Null, entry.GetProperty("revoked").ValueKind);
    }

    [Fact]
    public async Task An_older_version_stored_again_as_the_newest_is_refused_on_read()
    {
        // The older version must be older than the replay tolerance (30 minutes): it is written by the library in this process
        // with a clock two hours behind, so its sealed write times are those of a version written two hours ago. (The storage
        // dates it now, so that writer refuses to give a receipt for it: the same check, seen from the writer's side.)
        var key = _prefix + "replayed";
        var server = await Infrastructure.S3Server.GetAsync();
        var options = new HdsStorageOptions { S3 = server.Options(backend.Bucket) };
        Infrastructure.TestCertificates.Apply(options);
        options.Audit.SpoolDirectory = Path.Combine(_work, "spool");
        var old = RandomNumberGenerator.GetBytes(5000);
        Exception? refused;
        await using (var twoHoursAgo = new HdsStorageClient(options, new ShiftedClock(TimeSpan.FromHours(-2)), null))
        {
            refused = await Record.ExceptionAsync(() => twoHoursAgo.PutAsync(
                key, new MemoryStream(old), new HdsPutOptions { Context = new HdsAccessContext("op-42", Tenant, "audit") }, Ct));
        }

        using var s3 = backend.CreateRawClient();
        var physical = ObjectKeys.ToPhysical(Tenant, key);
        var versions = await s3.ListVersionsAsync(new ListVersionsRequest { BucketName = backend.Bucket, Prefix = physical }, Ct);
        var oldVersion = Assert.Single(versions.Versions, v => v.Key == physical).VersionId;
        await PutAsync(key, RandomNumberGenerator.GetBytes(6000)); // the current version, written now through the CLI

        // The attacker copies the older version's bytes, content type and metadata into a new version.
        using (var original = await s3.GetObjectAsync(new GetObjectRequest { BucketName = backend.Bucket, Key = physical, VersionId = oldVersion }, Ct))
        {
            var body = new MemoryStream();
            await original.ResponseStream.CopyToAsync(body, Ct);
            await WriteAsync(s3, physical, body.ToArray(), original);
        }

        AssertError(4, await Hds("get", key, "--out", Path.Combine(_work, "replayed.out")));
        AssertError(4, await Hds("get", key, "--range", "0:100", "--out", Path.Combine(_work, "replayed-range.out")));
        AssertError(4, await Hds("verify", key));
        Assert.False(File.Exists(Path.Combine(_work, "replayed.out")));
        Assert.False(File.Exists(Path.Combine(_work, "replayed-range.out")));
        Assert.Contains("time window", Assert.IsType<HdsIntegrityException>(refused).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, "0:")] // open-ended: before the fix, 0 bytes and exit 0
    [InlineData(0, "0:0")]
    [InlineData(0, "400000:10")] // past the truncated end
    [InlineData(1, "0:100")] // inside a segment that still verifies
    [InlineData(1, "300000")]
    public async Task A_truncated_newest_version_fails_a_ranged_get_whatever_the_range(int keptSegments, string range)
    {
        var key = _prefix + "truncated";
        var content = RandomNumberGenerator.GetBytes(700_000); // three segments of 256 KiB
        await PutAsync(key, content);
        using var s3 = backend.CreateRawClient();
        var physical = ObjectKeys.ToPhysical(Tenant, key);
        var stored = await ReadAsync(s3, physical);
        var headerLength = BinaryPrimitives.ReadUInt16BigEndian(stored.AsSpan(6));
        var segmentSize = BinaryPrimitives.ReadInt32BigEndian(stored.AsSpan(8));

        // Cut so that the stored length still looks like a valid object: the kept whole segments, then 56 bytes (an empty final
        // segment) or 1,056 bytes (a final segment of 1,000 content bytes) taken as the final segment.
        await WriteAsync(s3, physical, stored[..(headerLength + (keptSegments * (segmentSize + 16)) + 56 + (keptSegments * 1000))], null);

        var output = Path.Combine(_work, "range.out");
        AssertError(4, await Hds("get", key, "--range", range, "--out", output));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Get_with_a_range_returns_those_bytes_and_a_range_past_the_end_exits_1()
    {
        var key = _prefix + "ranged";
        var content = RandomNumberGenerator.GetBytes(700_000);
        await PutAsync(key, content);
        var output = Path.Combine(_work, "ranged.out");

        AssertExit(0, await Hds("get", key, "--range", "262000:1000", "--out", output));
        Assert.Equal(content.AsSpan(262_000, 1000).ToArray(), await File.ReadAllBytesAsync(output, Ct));
        AssertExit(0, await Hds("get", key, "--range", "699990:", "--out", output));
        Assert.Equal(content.AsSpan(699_990).ToArray(), await File.ReadAllBytesAsync(output, Ct));
        AssertExit(0, await Hds("get", key, "--range", "700000", "--out", output));
        Assert.Empty(await File.ReadAllBytesAsync(output, Ct));
        var past = await Hds("get", key, "--range", "700001:1", "--out", output);
        Assert.True(past.ExitCode == 1, past.ToString());
        Assert.True((await Hds("get", key, "--range", "x:1", "--out", output)).ExitCode == 1);
    }

    private static void AssertExit(int expected, CliResult result) => Assert.True(result.ExitCode == expected, $"expected exit {expected}, got {result}");

    private static void AssertError(int expected, CliResult result)
    {
        AssertExit(expected, result);
        Assert.Contains("error: Integrity: ", result.Stderr, StringComparison.Ordinal);
    }

    private Task<CliResult> Hds(params string[] args) => Raw([.. args, .. backend.BackendArgs, .. Context]);

    private Task<CliResult> Raw(params string[] args) => CliRunner.RunAsync(args, environment: backend.Environment, workingDirectory: _work);

    private async Task<JsonElement> PutAsync(string key, byte[] content)
    {
        var input = Path.Combine(_work, Guid.NewGuid().ToString("N"));
        await File.WriteAllBytesAsync(input, content, Ct);
        var result = await Hds("put", input, key);
        AssertExit(0, result);
        return result.Json();
    }

    private async Task<byte[]> ReadAsync(AmazonS3Client s3, string key)
    {
        using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = backend.Bucket, Key = key }, Ct);
        var body = new MemoryStream();
        await response.ResponseStream.CopyToAsync(body, Ct);
        return body.ToArray();
    }

    private async Task WriteAsync(AmazonS3Client s3, string key, byte[] bytes, GetObjectResponse? copyFrom)
    {
        var put = new PutObjectRequest
        {
            BucketName = backend.Bucket,
            Key = key,
            InputStream = new MemoryStream(bytes),
            ContentType = copyFrom?.Headers.ContentType ?? "application/octet-stream",
#pragma warning disable CA5351 // Content-MD5 is what S3 object-lock buckets require, not a security control.
            MD5Digest = Convert.ToBase64String(MD5.HashData(bytes)),
#pragma warning restore CA5351
        };
        if (copyFrom is not null)
        {
            foreach (var name in copyFrom.Metadata.Keys)
            {
                put.Metadata[name] = copyFrom.Metadata[name];
            }
        }

        await s3.PutObjectAsync(put, Ct);
    }

    private sealed class ShiftedClock(TimeSpan shift) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + shift;
    }
}
