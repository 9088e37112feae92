using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.IntegrationTests.Cli;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Models;

namespace Hds.Storage.IntegrationTests.Audit;

/// <summary>
/// The attacker of docs/security.md §1 with real powers: the bucket's S3 credentials, used through the plain S3 API (AWS SDK) against
/// the project's RGW. Object lock forbids destroying a locked version, not adding versions or delete markers. Each attack is then
/// judged by <c>hds audit verify</c> run as an auditor would, from a machine that never wrote to the trail (an empty spool directory,
/// trusting the writer's signing certificate), and must exit 4.
/// </summary>
public sealed class AuditAttackTests : IAsyncLifetime
{
    private static readonly HdsAccessContext Alice = new("agent-alice", "msa", "care") { CorrelationId = "corr-a" };
    private static readonly HdsAccessContext Bob = new("agent-bob", "msa", "care") { CorrelationId = "corr-b" };
    private readonly string _writerSpool = Path.Combine(Path.GetTempPath(), "hds-attack-writer-" + Guid.NewGuid().ToString("N"));
    private readonly string _workDir = Path.Combine(Path.GetTempPath(), "hds-attack-" + Guid.NewGuid().ToString("N"));
    private readonly System.Security.Cryptography.X509Certificates.X509Certificate2 _writerSigner = TestCertificates.CreateSigning("hds-attack-writer");
    private S3Server? _server;
    private string? _bucket;
    private string? _writerCertificateFile;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private S3Server Server => _server!;

    private string Bucket => _bucket!;

    public async ValueTask InitializeAsync()
    {
        _server = await S3Server.GetAsync();
        _bucket = await _server.CreateBucketAsync();
        Directory.CreateDirectory(_workDir);
        _writerCertificateFile = Path.Combine(_workDir, "writer-signer.pem");
        await File.WriteAllTextAsync(_writerCertificateFile, _writerSigner.ExportCertificatePem() + "\n", Ct);
    }

    public ValueTask DisposeAsync()
    {
        foreach (var dir in new[] { _writerSpool, _workDir })
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Hiding_the_tail_with_delete_markers_is_reported_from_a_fresh_machine_and_the_hidden_reads_stay_visible()
    {
        var node = await WriteHistoryAsync();
        AssertExit(0, await AuditorAsync("audit", "verify"));
        using var s3 = Server.PlainClient();
        var segments = await KeysAsync(s3, node, "segments");
        var checkpoints = await KeysAsync(s3, node, "checkpoints");

        // The newest segment (it holds Bob's reads) and the newest checkpoint vanish from listings.
        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = segments[^1] }, Ct);
        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = checkpoints[^1] }, Ct);

        var verify = await AuditorAsync("audit", "verify");
        AssertExit(4, verify);
        Assert.Contains(Problems(verify), p => p.Kind == nameof(HdsAuditProblemKind.ObjectHidden) && p.Node == node);
        var tail = await AuditorAsync("audit", "tail", "--n", "100");
        AssertExit(0, tail);
        Assert.Contains(Records(tail), r => r.Operation == HdsOperation.Get && r.ActorId == "agent-bob" && r.Node == node);
    }

    [Fact]
    public async Task Rewriting_history_as_a_new_version_is_reported_and_the_original_records_are_the_ones_read()
    {
        var node = await WriteHistoryAsync();
        using var s3 = Server.PlainClient();
        var segments = await KeysAsync(s3, node, "segments");
        var checkpoints = await KeysAsync(s3, node, "checkpoints");

        // The last segment re-chained with Bob's reads attributed to someone else, stored as a new version of the same key; the
        // checkpoints that would contradict it hidden with delete markers.
        var original = await GetAsync(s3, segments[^1]);
        var lines = Encoding.UTF8.GetString(original).TrimEnd('\n').Split('\n').Select(l => AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(l), out _)!).ToList();
        Assert.Contains(lines, r => r.ActorId == "agent-bob");
        var previous = lines[0].PreviousHash!;
        var rewritten = new StringBuilder();
        foreach (var record in lines)
        {
            var changed = record.ActorId == "agent-bob" ? record with { ActorId = "agent-mallory", CorrelationId = "corr-m" } : record;
            var chained = AuditRecordCodec.Chain(changed with { Hash = null }, node, record.Sequence, previous);
            Assert.NotNull(AuditRecordCodec.TryParse(AuditRecordCodec.ToLine(chained), out _)); // a well-formed, verifiable chain
            rewritten.Append(Encoding.UTF8.GetString(AuditRecordCodec.ToLine(chained))).Append('\n');
            previous = chained.Hash!;
        }

        await PutAsync(s3, segments[^1], Encoding.UTF8.GetBytes(rewritten.ToString()));
        foreach (var checkpoint in checkpoints)
        {
            await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = checkpoint }, Ct);
        }

        var verify = await AuditorAsync("audit", "verify");
        AssertExit(4, verify);
        var problems = Problems(verify);
        Assert.Contains(problems, p => p.Kind == nameof(HdsAuditProblemKind.ObjectRewritten) && p.Node == node);
        Assert.Contains(problems, p => p.Kind == nameof(HdsAuditProblemKind.ObjectHidden) && p.Node == node);
        var records = Records(await AuditorAsync("audit", "tail", "--n", "100"));
        Assert.Contains(records, r => r.Operation == HdsOperation.Get && r.ActorId == "agent-bob");
        Assert.DoesNotContain(records, r => r.ActorId == "agent-mallory");
    }

    [Fact]
    public async Task Rewriting_a_segment_under_a_new_name_and_hiding_the_original_is_reported()
    {
        var node = await WriteHistoryAsync();
        using var s3 = Server.PlainClient();
        var segments = await KeysAsync(s3, node, "segments");
        var content = await GetAsync(s3, segments[^1]);

        // Same records under another valid segment name (a later end time), the original hidden.
        var dash = segments[^1].LastIndexOf('-');
        var lastTime = long.Parse(segments[^1][(dash + 1)..^".jsonl".Length], System.Globalization.CultureInfo.InvariantCulture);
        await PutAsync(s3, segments[^1][..(dash + 1)] + (lastTime + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + ".jsonl", content);
        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Bucket, Key = segments[^1] }, Ct);

        var verify = await AuditorAsync("audit", "verify");
        AssertExit(4, verify);
        Assert.Contains(Problems(verify), p => p.Kind == nameof(HdsAuditProblemKind.ObjectHidden) && p.Node == node);
    }

    [Fact]
    public async Task A_forged_writer_is_reported_not_trusted_and_its_records_are_not_read()
    {
        await WriteHistoryAsync();
        using var s3 = Server.PlainClient();

        // A node nobody enrolled: a well-formed chain from the genesis hash, with a checkpoint signed by the attacker's own certificate.
        const string Forged = "nf0f0f0f0f0f0f0f0";
        var time = DateTimeOffset.UtcNow.AddMinutes(-1);
        var forged = new List<HdsAuditRecord>();
        var previous = AuditRecordCodec.GenesisHash;
        for (var i = 1; i <= 2; i++)
        {
            var record = AuditRecordCodec.Chain(
                new HdsAuditRecord { Time = time.AddSeconds(i), Operation = HdsOperation.Get, Outcome = HdsAuditOutcome.Succeeded, ActorId = "agent-ghost", Tenant = "msa", Purpose = "care", Key = "docs/0" },
                Forged, i, previous);
            forged.Add(record);
            previous = record.Hash!;
        }

        var segment = string.Concat(forged.Select(r => Encoding.UTF8.GetString(AuditRecordCodec.ToLine(r)) + "\n"));
        await PutAsync(s3, AuditStore.SegmentKey(Forged, 1, 2, forged[0].Time, forged[1].Time), Encoding.UTF8.GetBytes(segment));
        var checkpoint = CheckpointSigner.Sign(TestCertificates.CreateSigning("hds-attacker"), new AuditCheckpoint(Forged, 2, forged[1].Hash!, time, 0, null));
        await PutAsync(s3, AuditStore.CheckpointKey(Forged, 2), checkpoint);

        var verify = await AuditorAsync("audit", "verify");
        AssertExit(4, verify);
        var problems = Problems(verify);
        Assert.Contains(problems, p => p.Kind == nameof(HdsAuditProblemKind.NodeNotEnrolled) && p.Node == Forged);
        Assert.Contains(problems, p => p.Kind == nameof(HdsAuditProblemKind.CheckpointInvalid) && p.Node == Forged);
        Assert.DoesNotContain(Records(await AuditorAsync("audit", "tail", "--n", "100")), r => r.ActorId == "agent-ghost");
    }

    [Fact]
    public async Task Records_appended_to_an_enrolled_chain_without_a_checkpoint_are_reported_once_the_grace_period_has_passed()
    {
        var node = await WriteHistoryAsync();
        using var s3 = Server.PlainClient();
        var segments = await KeysAsync(s3, node, "segments");
        var last = Encoding.UTF8.GetString(await GetAsync(s3, segments[^1])).TrimEnd('\n').Split('\n')[^1];
        var head = AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(last), out _)!;

        // The unkeyed hash chain can be extended by anyone: one more record, linked to the real head.
        var appended = AuditRecordCodec.Chain(
            new HdsAuditRecord { Time = head.Time.AddSeconds(1), Operation = HdsOperation.Delete, Outcome = HdsAuditOutcome.Succeeded, ActorId = "agent-bob", Tenant = "msa", Purpose = "care", Key = "docs/1" },
            node, head.Sequence + 1, head.Hash!);
        await PutAsync(s3, AuditStore.SegmentKey(node, appended.Sequence, appended.Sequence, appended.Time, appended.Time),
            Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(AuditRecordCodec.ToLine(appended)) + "\n"));

        // Within the grace period it may be the writer's newest upload: a search returns it but says it awaits its signed checkpoint,
        // and an export (a copy kept outside the trail) leaves it for a later run.
        var recent = await AuditorAsync("audit", "search", "--by-actor", "agent-bob", "-o", "json");
        AssertExit(0, recent);
        Assert.Contains(Records(recent), r => r.Operation == HdsOperation.Delete && r.Sequence == appended.Sequence);
        Assert.Contains($"AwaitingCheckpoint node={node} seq={appended.Sequence}-{appended.Sequence}", recent.Stderr, StringComparison.Ordinal);
        var export = Path.Combine(_workDir, "export-" + Guid.NewGuid().ToString("N"));
        AssertExit(0, await AuditorAsync("audit", "export", "--out", export, "-o", "json"));
        var exported = await AuditorAsync("audit", "query", "SELECT operation FROM audit WHERE actor_id = 'agent-bob'", "--export", export, "-o", "json");
        AssertExit(0, exported);
        Assert.Contains("\"Get\"", exported.StdoutText, StringComparison.Ordinal); // Bob's real reads
        Assert.DoesNotContain("\"Delete\"", exported.StdoutText, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);

        var shortGrace = new Dictionary<string, string> { ["HdsStorage__Audit__CheckpointGracePeriod"] = "00:00:01" };
        var verify = await AuditorAsync(["audit", "verify"], shortGrace);
        AssertExit(4, verify);
        Assert.Contains(Problems(verify), p => p.Kind == nameof(HdsAuditProblemKind.CheckpointMissing) && p.Node == node && p.Sequence == appended.Sequence);

        // After it, nothing will sign it: the search reports it (exit 4) and no longer returns its records.
        var later = await AuditorAsync(["audit", "search", "--by-actor", "agent-bob", "-o", "json"], shortGrace);
        AssertExit(4, later);
        Assert.DoesNotContain(Records(later), r => r.Sequence == appended.Sequence);
        Assert.Contains(Records(later), r => r.Operation == HdsOperation.Get);
    }

    [Fact]
    public async Task An_untouched_trail_verifies_from_a_fresh_machine_and_not_without_trusting_the_writer()
    {
        var node = await WriteHistoryAsync();

        var trusted = await AuditorAsync("audit", "verify");
        AssertExit(0, trusted);

        // Without the writer's certificate, its checkpoints prove nothing: the node is not enrolled for this auditor.
        var untrusted = await CliRunner.RunAsync([.. AuditorArgs(trustWriter: false), "audit", "verify"], environment: AuditorEnvironment());
        AssertExit(4, untrusted);
        Assert.Contains(Problems(untrusted), p => p.Kind == nameof(HdsAuditProblemKind.NodeNotEnrolled) && p.Node == node);
    }

    [Fact]
    public async Task Reads_that_fail_verification_while_streaming_are_recorded_as_integrity_failures_not_successes()
    {
        await WriteHistoryAsync();
        using var s3 = Server.PlainClient();

        // A larger document, then a newer version of it with one byte flipped in the middle: the header verifies, a later segment does not.
        var options = new HdsStorageOptions { S3 = Server.Options(Bucket) };
        TestCertificates.Apply(options);
        options.Audit.CheckpointCertificate = _writerSigner;
        options.Audit.SpoolDirectory = _writerSpool;
        await using (var client = new HdsStorageClient(options))
        {
            await client.PutAsync("docs/big", new MemoryStream(TestContent.Random(3 << 20)), new HdsPutOptions { Context = Alice }, Ct);
        }

        var physical = Hds.Storage.Objects.ObjectKeys.ToPhysical("msa", "docs/big");
        var stored = await GetAsync(s3, physical);
        stored[stored.Length / 2] ^= 0x01;
        var head = await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Bucket, Key = physical }, Ct);
        var put = new PutObjectRequest
        {
            BucketName = Bucket,
            Key = physical,
            InputStream = new MemoryStream(stored),
#pragma warning disable CA5351 // Content-MD5 is what S3 object-lock buckets require, not a security control.
            MD5Digest = Convert.ToBase64String(MD5.HashData(stored)),
#pragma warning restore CA5351
        };
        foreach (var name in head.Metadata.Keys)
        {
            put.Metadata[name] = head.Metadata[name];
        }

        await s3.PutObjectAsync(put, Ct);

        for (var i = 0; i < 2; i++)
        {
            var get = await CliRunner.RunAsync(
                ["--endpoint", Server.EndpointA.ToString(), "--bucket", Bucket, .. S3CliBackend.CertificateArgs, "--actor", "agent-bob", "--tenant", "msa", "--purpose", "care",
                    "get", "docs/big", "--out", Path.Combine(_workDir, "big.out")],
                environment: AuditorEnvironment());
            AssertExit(4, get);
        }

        var records = Records(await AuditorAsync("audit", "tail", "--n", "100")).Where(r => r.Operation == HdsOperation.Get && r.Key == "docs/big").ToList();
        Assert.Equal(4, records.Count);
        foreach (var opened in records.Where(r => r.Outcome == HdsAuditOutcome.Succeeded))
        {
            var failed = Assert.Single(records, r => r.Node == opened.Node && r.Follows == opened.Sequence);
            Assert.Equal((HdsAuditOutcome.IntegrityFailure, opened.VersionId, opened.ActorId), (failed.Outcome, failed.VersionId, failed.ActorId));
        }

        Assert.Equal(2, records.Count(r => r.Outcome == HdsAuditOutcome.IntegrityFailure));
        AssertExit(0, await AuditorAsync("audit", "verify"));
    }

    // Alice stores two documents, Bob reads them; everything uploaded (segments of 3 records, each with its signed checkpoint).
    private async Task<string> WriteHistoryAsync()
    {
        var options = new HdsStorageOptions { S3 = Server.Options(Bucket) };
        TestCertificates.Apply(options);
        options.Audit.CheckpointCertificate = _writerSigner;
        options.Audit.SpoolDirectory = _writerSpool;
        options.Audit.BatchSize = 3;
        options.Audit.UploadInterval = TimeSpan.FromHours(1);
        await using var client = new HdsStorageClient(options);
        for (var i = 0; i < 2; i++)
        {
            await client.PutAsync($"docs/{i}", new MemoryStream(TestContent.Random(1000)), new HdsPutOptions { Context = Alice }, Ct);
        }

        await client.FlushAuditAsync(Ct);
        for (var i = 0; i < 2; i++)
        {
            await using var download = await client.GetAsync($"docs/{i}", new HdsGetOptions { Context = Bob }, Ct);
            await download.Content.CopyToAsync(Stream.Null, Ct);
        }

        await client.FlushAuditAsync(Ct);
        return client.AuditNode!;
    }

    private Task<CliResult> AuditorAsync(params string[] command) => AuditorAsync(command, null);

    private Task<CliResult> AuditorAsync(string[] command, IReadOnlyDictionary<string, string>? extra) =>
        CliRunner.RunAsync([.. AuditorArgs(trustWriter: true), .. command], environment: AuditorEnvironment(extra));

    // The auditor's machine: its own signer (its verify and tail are audited too), the writer's certificate trusted.
    private string[] AuditorArgs(bool trustWriter) =>
    [
        "--endpoint", Server.EndpointA.ToString(), "--bucket", Bucket, .. S3CliBackend.CertificateArgs,
        .. trustWriter ? new[] { "--audit-trust", _writerCertificateFile! } : [],
        "--actor", "auditor-7", "--tenant", "msa", "--purpose", "audit", "--role", "auditor",
    ];

    // A spool directory that never held anything: a machine that never wrote to the trail.
    private Dictionary<string, string> AuditorEnvironment(IReadOnlyDictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AWS_ACCESS_KEY_ID"] = Server.AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = Server.SecretKey,
            ["HdsStorage__Audit__SpoolDirectory"] = Path.Combine(_workDir, "auditor-spool-" + Guid.NewGuid().ToString("N")),
        };
        foreach (var (name, value) in extra ?? new Dictionary<string, string>())
        {
            environment[name] = value;
        }

        return environment;
    }

    private static void AssertExit(int expected, CliResult result) => Assert.True(result.ExitCode == expected, $"expected exit {expected}: {result}");

    private static List<(string Kind, string Node, long? Sequence)> Problems(CliResult verify) =>
        verify.Json().GetProperty("problems").EnumerateArray()
            .Select(p => (p.GetProperty("kind").GetString()!, p.GetProperty("node").GetString()!, p.TryGetProperty("sequence", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetInt64() : (long?)null))
            .ToList();

    private static List<HdsAuditRecord> Records(CliResult tail) =>
        tail.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonSerializer.Deserialize<HdsAuditRecord>(l, RecordJson)!).ToList();

    // The CLI prints records in the library's JSON shape (camelCase, enums by name).
    private static readonly JsonSerializerOptions RecordJson = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private async Task<List<string>> KeysAsync(AmazonS3Client s3, string node, string folder)
    {
        var listed = await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Bucket, Prefix = $"_hds/audit/{node}/{folder}/" }, Ct);
        var keys = (listed.S3Objects ?? []).Select(o => o.Key).Order(StringComparer.Ordinal).ToList();
        Assert.True(keys.Count >= 2, $"{keys.Count} {folder}");
        return keys;
    }

    private async Task<byte[]> GetAsync(AmazonS3Client s3, string key)
    {
        using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, Key = key }, Ct);
        return await TestContent.ReadAllAsync(response.ResponseStream);
    }

    private async Task PutAsync(AmazonS3Client s3, string key, byte[] content) =>
        await s3.PutObjectAsync(
            new PutObjectRequest
            {
                BucketName = Bucket,
                Key = key,
                InputStream = new MemoryStream(content),
#pragma warning disable CA5351 // Content-MD5 is what S3 object-lock buckets require, not a security control.
                MD5Digest = Convert.ToBase64String(MD5.HashData(content)),
#pragma warning restore CA5351
            },
            Ct);
}
