using System.Text;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends;
using Hds.Storage.Backends.Local;
using Hds.Storage.IntegrationTests.Contract;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Retention;
using Hds.Storage.Models;

namespace Hds.Storage.IntegrationTests.Audit;

/// <summary>
/// The audit trail on each backend: every operation and outcome leaves a record, the stored trail verifies, and each kind of
/// tampering with the stored segments or checkpoints (done below the client, as a storage administrator could) is detected.
/// </summary>
public abstract class AuditContractTests : IAsyncLifetime
{
    protected static readonly HdsAccessContext Alice = new("agent-4711", "msa", "claim-processing") { Role = "agent", CorrelationId = "corr-1" };
    protected static readonly HdsAccessContext Auditor = new("auditor-7", "msa", "audit") { Role = "auditor" };
    protected static readonly HdsAccessContext OtherTenant = new("agent-0042", "sncf", "claim-processing");
    protected static readonly HdsAccessContext KeyOfficer = new("officer-12", "operator", HdsAuthorizationOptions.KeyManagementPurpose) { Role = "key-admin" };
    protected static readonly HdsAccessContext OperatorAuditor = Auditor with { Tenant = "operator" };
    protected static readonly HdsAccessContext Lawyer = new("legal-3", "msa", HdsAuthorizationOptions.LegalHoldPurpose) { Role = "legal" };

    private StorageTarget? _target;
    private HdsStorageClient? _client;

    protected StorageTarget Target => _target!;

    protected HdsStorageClient Client => _client!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _target = await CreateTargetAsync();
        _client = _target.CreateClient(o =>
        {
            o.Audit.BatchSize = 3;

            // Segments cut by size only: a timed upload on a loaded machine would make segments of one record.
            o.Audit.UploadInterval = TimeSpan.FromHours(1);
            o.Audit.CheckpointCertificate = TestCertificates.CreateSigning();
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.DisposeAsync();
        }

        if (_target is not null)
        {
            await _target.DisposeAsync();
        }
    }

    protected abstract Task<StorageTarget> CreateTargetAsync();

    private static HdsRequestOptions As(HdsAccessContext context) => new() { Context = context };

    [Fact]
    public async Task Every_operation_and_outcome_leaves_a_record_and_the_trail_verifies()
    {
        var receipt = await Client.PutAsync("docs/a.pdf", new MemoryStream(TestContent.Random(2000)), new HdsPutOptions { Context = Alice }, Ct);
        await using (var d = await Client.GetAsync("docs/a.pdf", new HdsGetOptions { Context = Alice }, Ct))
        {
            await d.Content.CopyToAsync(Stream.Null, Ct);
        }

        await Client.VerifyAsync("docs/a.pdf", new HdsVerifyOptions { Context = Alice, Receipt = receipt }, Ct);
        await Client.GetPropertiesAsync("docs/a.pdf", new HdsVersionOptions { Context = As(Alice).Context }, Ct);
        await Client.ListAsync("docs/", new HdsListOptions { Context = Alice }, Ct).ToListAsync(Ct);
        await Client.GetVersionsAsync("docs/a.pdf", As(Alice), Ct).ToListAsync(Ct);
        await Client.SetLegalHoldAsync("docs/a.pdf", true, new HdsVersionOptions { VersionId = receipt.VersionId, Context = As(Lawyer).Context }, Ct);
        await Client.SetLegalHoldAsync("docs/a.pdf", false, new HdsVersionOptions { VersionId = receipt.VersionId, Context = As(Lawyer).Context }, Ct);
        await Client.ExtendRetentionAsync("docs/a.pdf", receipt.RetainUntil.AddDays(1), new HdsVersionOptions { VersionId = receipt.VersionId, Context = As(Lawyer with { Purpose = "retention" }).Context }, Ct);
        await Client.CheckBucketAsync(As(Alice), Ct);
        await Client.DeleteAsync("docs/a.pdf", As(Alice), Ct);
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => Client.GetPropertiesAsync("docs/none.pdf", new HdsVersionOptions { Context = As(Alice).Context }, Ct));
        await Assert.ThrowsAsync<HdsAccessDeniedException>(() => Client.ListAsync(null, null, Ct).ToListAsync(Ct).AsTask());
        await Assert.ThrowsAsync<HdsAccessDeniedException>(() => Client.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Alice }, Ct));
        await Assert.ThrowsAsync<HdsInvalidRequestException>(() => Client.PutAsync("../bad", new MemoryStream([1]), new HdsPutOptions { Context = Alice }, Ct));

        var verification = await Client.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor }, Ct);
        Assert.True(verification.IsValid, string.Join("; ", verification.Problems));
        Assert.True(verification.CheckpointsVerified > 0);

        var records = await Client.GetRecentAuditRecordsAsync(100, As(Auditor), Ct);
        void Has(HdsOperation op, HdsAuditOutcome outcome, string? reason = null) =>
            Assert.Contains(records, r => r.Operation == op && r.Outcome == outcome && (reason is null || r.Reason == reason));
        Has(HdsOperation.Put, HdsAuditOutcome.Succeeded);
        Has(HdsOperation.Get, HdsAuditOutcome.Succeeded);
        Has(HdsOperation.Verify, HdsAuditOutcome.Succeeded);
        Has(HdsOperation.GetProperties, HdsAuditOutcome.Succeeded);
        Has(HdsOperation.List, HdsAuditOutcome.Succeeded);
        Has(HdsOperation.GetVersions, HdsAuditOutcome.Succeeded);
        Has(HdsOperation.SetLegalHold, HdsAuditOutcome.Succeeded);
        Has(HdsOperation.ExtendRetention, HdsAuditOutcome.Succeeded);
        Has(HdsOperation.CheckBucket, HdsAuditOutcome.Succeeded);
        Has(HdsOperation.Delete, HdsAuditOutcome.Succeeded);
        Has(HdsOperation.GetProperties, HdsAuditOutcome.NotFound);
        Has(HdsOperation.VerifyAudit, HdsAuditOutcome.Denied, "purpose-not-allowed");
        Has(HdsOperation.VerifyAudit, HdsAuditOutcome.Succeeded);
        Has(HdsOperation.Put, HdsAuditOutcome.Failed, nameof(HdsErrorCode.InvalidRequest));
        var put = records.First(r => r.Operation == HdsOperation.Put && r.Outcome == HdsAuditOutcome.Succeeded);
        Assert.Equal((receipt.VersionId, receipt.Sha256, receipt.Size, "agent-4711", "corr-1"), (put.VersionId, put.Sha256, put.Size!.Value, put.ActorId, put.CorrelationId));

        // The site that stored the write and served the reads: the embedded store's, or the single S3 endpoint's ("default").
        var site = Target is LocalTarget ? LocalBackend.SiteName : "default";
        Assert.Equal((site, false), (put.Site, put.FoundAfterLostAnswer));
        Assert.Equal(site, records.First(r => r.Operation == HdsOperation.Get && r.Outcome == HdsAuditOutcome.Succeeded).Site);
        Assert.Equal(site, records.First(r => r.Operation == HdsOperation.Verify && r.Outcome == HdsAuditOutcome.Succeeded).Site);
        Assert.All(records, r => Assert.Equal("msa", r.Tenant));
        Assert.Equal(records.Count, records.Select(r => (r.Node, r.Sequence)).Distinct().Count());
    }

    [Fact]
    public async Task A_call_without_context_is_refused_and_recorded()
    {
        await Assert.ThrowsAsync<HdsAccessDeniedException>(() => Client.GetVersionsAsync("x", null, Ct).ToListAsync(Ct).AsTask());
        await Client.FlushAuditAsync(Ct);
        var verification = await Client.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor }, Ct);
        Assert.True(verification.IsValid, string.Join("; ", verification.Problems));
        Assert.True(verification.RecordsVerified >= 1);
    }

    [Fact]
    public async Task Key_ring_operations_are_audited_with_the_key_concerned_and_the_trail_verifies()
    {
        var receipt = await Client.PutAsync("keys/a.pdf", new MemoryStream(TestContent.Random(500)), new HdsPutOptions { Context = Alice }, Ct);
        var listed = await Client.ListKeysAsync(As(KeyOfficer), Ct);
        var rotated = await Client.RotateKeyAsync(As(KeyOfficer), Ct);
        var revoked = await Client.RevokeKeyAsync(receipt.KeyId!, As(KeyOfficer), Ct);
        var rewrapped = await Client.RewrapKeysAsync(As(KeyOfficer), Ct);
        const string Unknown = "20200101T000000Z-000000000000";
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => Client.RevokeKeyAsync(Unknown, As(KeyOfficer), Ct));

        Assert.Equal(receipt.KeyId, Assert.Single(listed).Id);
        Assert.True(revoked.IsRevoked);
        Assert.Empty(rewrapped); // the certificates did not change
        var verification = await Client.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor }, Ct);
        Assert.True(verification.IsValid, string.Join("; ", verification.Problems));
        var put = Assert.Single(await Client.GetRecentAuditRecordsAsync(100, As(Auditor), Ct), r => r.Operation == HdsOperation.Put);
        Assert.Equal(receipt.KeyId, put.KeyId);

        // The key ring is administered from the operating tenant: its records are that tenant's.
        var records = await Client.GetRecentAuditRecordsAsync(100, As(OperatorAuditor), Ct);
        HdsAuditRecord One(HdsOperation op, HdsAuditOutcome outcome) => Assert.Single(records, r => r.Operation == op && r.Outcome == outcome);
        Assert.Null(One(HdsOperation.ListKeys, HdsAuditOutcome.Succeeded).KeyId);
        var rotation = One(HdsOperation.RotateKey, HdsAuditOutcome.Succeeded);
        Assert.Equal((rotated.Id, "officer-12", "key-management", "key-admin"), (rotation.KeyId, rotation.ActorId, rotation.Purpose, rotation.Role));
        Assert.Equal(receipt.KeyId, One(HdsOperation.RevokeKey, HdsAuditOutcome.Succeeded).KeyId);
        Assert.Null(One(HdsOperation.RewrapKeys, HdsAuditOutcome.Succeeded).KeyId);
        Assert.Equal(Unknown, One(HdsOperation.RevokeKey, HdsAuditOutcome.NotFound).KeyId);
    }

    [Fact]
    public async Task Key_ring_changes_for_a_purpose_not_allowed_are_denied_recorded_and_change_nothing()
    {
        var receipt = await Client.PutAsync("keys/b.pdf", new MemoryStream(TestContent.Random(500)), new HdsPutOptions { Context = Alice }, Ct);
        var storedBefore = await KeyRingVersionsAsync();

        // Another tenant's agent, an auditor, a claims agent: none of them has the key-management purpose.
        foreach (var context in new[] { Alice, Auditor, OtherTenant })
        {
            await Assert.ThrowsAsync<HdsAccessDeniedException>(() => Client.RotateKeyAsync(As(context), Ct));
            await Assert.ThrowsAsync<HdsAccessDeniedException>(() => Client.RevokeKeyAsync(receipt.KeyId!, As(context), Ct));
            await Assert.ThrowsAsync<HdsAccessDeniedException>(() => Client.RewrapKeysAsync(As(context), Ct));
            await Assert.ThrowsAsync<HdsAccessDeniedException>(() => Client.ListKeysAsync(As(context), Ct));
        }

        Assert.Equal(storedBefore, await KeyRingVersionsAsync());
        var key = Assert.Single(await Client.ListKeysAsync(As(KeyOfficer), Ct));
        Assert.Equal((receipt.KeyId, false), (key.Id, key.IsRevoked));
        await Client.VerifyAsync("keys/b.pdf", new HdsVerifyOptions { Context = Alice, Receipt = receipt }, Ct); // still readable: not revoked
        var records = await Client.GetRecentAuditRecordsAsync(100, As(Auditor), Ct);
        foreach (var op in new[] { HdsOperation.RotateKey, HdsOperation.RevokeKey, HdsOperation.RewrapKeys, HdsOperation.ListKeys })
        {
            Assert.Equal(2, records.Count(r => r.Operation == op && r.Outcome == HdsAuditOutcome.Denied && r.Reason == "purpose-not-allowed"));
        }

        Assert.True((await Client.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor }, Ct)).IsValid);
    }

    // Every stored version of every key-ring entry, read below the client.
    private async Task<int> KeyRingVersionsAsync()
    {
        await using var backend = Target.OpenBackend();
        var page = await backend.ListAsync("_hds/keys/", null, 1000, Ct);
        var versions = 0;
        foreach (var item in page.Items)
        {
            versions += (await backend.ListVersionsAsync(item.Key, Ct)).Count;
        }

        return versions;
    }

    public enum Tampering
    {
        AlterRecord,
        RemoveSegment,
        InsertSegment,
        ReorderSegments,
        InsertRecord,
        ReplaceRecord,
        AlterCheckpoint,
        RemoveMiddleCheckpoint,
        RemoveTail,
        ForeignCheckpointSigner,
    }

    /// <summary>
    /// Whether tampering is done in place, below the storage's API (the embedded store's files, as someone with access to its
    /// directory could), rather than as an S3 credential holder can: adding versions and delete markers.
    /// </summary>
    protected virtual bool TamperInPlace => false;

    // In place, the content checks find the change; through the storage's API, the history shows it (a further version of a key the
    // log writes once, a delete marker where the log never deletes).
    [Theory]
    [InlineData(Tampering.AlterRecord, HdsAuditProblemKind.RecordAltered, HdsAuditProblemKind.ObjectRewritten)]
    [InlineData(Tampering.RemoveSegment, HdsAuditProblemKind.RecordMissing, HdsAuditProblemKind.ObjectHidden)]
    [InlineData(Tampering.InsertSegment, HdsAuditProblemKind.RecordReordered, HdsAuditProblemKind.RecordReordered)]
    [InlineData(Tampering.ReorderSegments, HdsAuditProblemKind.RecordReordered, HdsAuditProblemKind.ObjectRewritten)]
    [InlineData(Tampering.InsertRecord, HdsAuditProblemKind.RecordReordered, HdsAuditProblemKind.ObjectRewritten)]
    [InlineData(Tampering.ReplaceRecord, HdsAuditProblemKind.ChainBroken, HdsAuditProblemKind.ObjectRewritten)]
    [InlineData(Tampering.AlterCheckpoint, HdsAuditProblemKind.CheckpointInvalid, HdsAuditProblemKind.ObjectRewritten)]
    [InlineData(Tampering.RemoveMiddleCheckpoint, HdsAuditProblemKind.CheckpointMismatch, HdsAuditProblemKind.ObjectHidden)]
    [InlineData(Tampering.RemoveTail, HdsAuditProblemKind.TailMissing, HdsAuditProblemKind.ObjectHidden)] // in place, the writer's spool notices
    [InlineData(Tampering.ForeignCheckpointSigner, HdsAuditProblemKind.CheckpointInvalid, HdsAuditProblemKind.ObjectRewritten)]
    public async Task Tampering_with_stored_segments_or_checkpoints_is_detected(Tampering tampering, HdsAuditProblemKind inPlace, HdsAuditProblemKind throughApi)
    {
        var expected = TamperInPlace ? inPlace : throughApi;
        for (var i = 0; i < 8; i++)
        {
            await Client.PutAsync($"t/{i}", new MemoryStream([(byte)i]), new HdsPutOptions { Context = Alice }, Ct);
        }

        var clean = await Client.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor }, Ct);
        Assert.True(clean.IsValid, string.Join("; ", clean.Problems));

        // Let the uploader finish: a segment stored and its checkpoint not yet would look like a missing checkpoint.
        await Client.FlushAuditAsync(Ct);

        // Then one segment of two records for certain: the background uploader, racing the puts above, may have cut every later
        // segment at one record; two puts stay below BatchSize (3), so only the flush uploads them, together.
        for (var i = 8; i < 10; i++)
        {
            await Client.PutAsync($"t/{i}", new MemoryStream([(byte)i]), new HdsPutOptions { Context = Alice }, Ct);
        }

        await Client.FlushAuditAsync(Ct);
        await using var backend = Target.OpenBackend();
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await backend.ListAsync("_hds/audit/", token, 1000, Ct);
            keys.AddRange(page.Items.Select(i => i.Key));
            token = page.ContinuationToken;
        }
        while (token is not null);
        var segments = keys.Where(k => k.Contains("/segments/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        var checkpoints = keys.Where(k => k.Contains("/checkpoints/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
        Assert.True(segments.Count >= 3, $"{segments.Count} segments");
        Assert.Equal(segments.Count, checkpoints.Count);

        switch (tampering)
        {
            case Tampering.AlterRecord:
                var text = Encoding.UTF8.GetString(await ReadAsync(backend, segments[1]));
                await OverwriteAsync(backend, segments[1], Encoding.UTF8.GetBytes(text.Replace("\"Succeeded\"", "\"Failed\"", StringComparison.Ordinal)));
                break;
            case Tampering.RemoveSegment:
                await RemoveAsync(backend, segments[1]);
                break;
            case Tampering.InsertSegment:
                // A copy of the first segment stored under another valid segment name: its sequence numbers repeat.
                var dash = segments[0].LastIndexOf('-');
                var lastTime = long.Parse(segments[0][(dash + 1)..^".jsonl".Length], System.Globalization.CultureInfo.InvariantCulture);
                await OverwriteAsync(backend, segments[0][..(dash + 1)] + (lastTime + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + ".jsonl",
                    await ReadAsync(backend, segments[0]));
                break;
            case Tampering.ReorderSegments:
                var first = await ReadAsync(backend, segments[0]);
                var second = await ReadAsync(backend, segments[1]);
                await OverwriteAsync(backend, segments[0], second);
                await OverwriteAsync(backend, segments[1], first);
                break;
            case Tampering.InsertRecord:
            case Tampering.ReplaceRecord:
                // A well-formed record linked to the segment's first record, inserted after it (or replacing its successor).
                // A segment with at least two records (flushes before verification can cut a segment of one record).
                var target = segments[1];
                var lines = Encoding.UTF8.GetString(await ReadAsync(backend, target)).TrimEnd('\n').Split('\n').ToList();
                foreach (var candidate in segments.Skip(1))
                {
                    var candidateLines = Encoding.UTF8.GetString(await ReadAsync(backend, candidate)).TrimEnd('\n').Split('\n').ToList();
                    if (candidateLines.Count >= 2)
                    {
                        (target, lines) = (candidate, candidateLines);
                        break;
                    }
                }

                Assert.True(lines.Count >= 2, "no audit segment holds two records");
                var anchor = AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(lines[0]), out _)!;
                var forged = AuditRecordCodec.Chain(
                    new HdsAuditRecord { Time = anchor.Time, Operation = HdsOperation.Get, Outcome = HdsAuditOutcome.Succeeded, ActorId = "intruder", Tenant = "msa" },
                    anchor.Node!, anchor.Sequence + 1, anchor.Hash!);
                if (tampering == Tampering.ReplaceRecord)
                {
                    lines.RemoveAt(1);
                }

                lines.Insert(1, Encoding.UTF8.GetString(AuditRecordCodec.ToLine(forged)));
                await OverwriteAsync(backend, target, Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"));
                break;
            case Tampering.AlterCheckpoint:
                var cp = await ReadAsync(backend, checkpoints[1]);
                cp[cp.Length / 2] ^= 0x01;
                await OverwriteAsync(backend, checkpoints[1], cp);
                break;
            case Tampering.RemoveMiddleCheckpoint:
                await RemoveAsync(backend, checkpoints[1]);
                break;
            case Tampering.RemoveTail:
                await RemoveAsync(backend, segments[^1]);
                await RemoveAsync(backend, checkpoints[^1]);
                break;
            case Tampering.ForeignCheckpointSigner:
                var payloadOwner = await ReadAsync(backend, checkpoints[1]);
                var cms = new System.Security.Cryptography.Pkcs.SignedCms();
                cms.Decode(payloadOwner);
                var resigned = CheckpointSignerAccess.Resign(cms.ContentInfo.Content, TestCertificates.CreateSigning("intruder"));
                await OverwriteAsync(backend, checkpoints[1], resigned);
                break;
        }

        var result = await Client.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor }, Ct);
        Assert.False(result.IsValid);
        Assert.Contains(result.Problems, p => p.Kind == expected);
        var records = await Client.GetRecentAuditRecordsAsync(5, As(Auditor), Ct);
        Assert.Contains(records, r => r.Operation == HdsOperation.VerifyAudit && r.Outcome == HdsAuditOutcome.IntegrityFailure);
    }

    [Fact]
    public async Task Verification_can_be_limited_to_a_time_window()
    {
        for (var i = 0; i < 7; i++)
        {
            await Client.GetVersionsAsync($"w/{i}", As(Alice), Ct).ToListAsync(Ct);
        }

        var all = await Client.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor }, Ct);
        var none = await Client.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor, From = DateTimeOffset.UtcNow.AddDays(1) }, Ct);
        var recent = await Client.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor, From = DateTimeOffset.UtcNow.AddMinutes(-5), To = DateTimeOffset.UtcNow.AddMinutes(5) }, Ct);
        Assert.True(all.IsValid && none.IsValid && recent.IsValid, string.Join("; ", all.Problems.Concat(none.Problems).Concat(recent.Problems)));
        Assert.Equal(0, none.RecordsVerified);
        Assert.True(recent.RecordsVerified >= 7);
    }

    /// <summary>Replaces the bytes of the key's only version in place, below the storage's API (the embedded store's files).</summary>
    protected virtual Task ReplaceInPlaceAsync(string key, byte[] content) => throw new NotSupportedException();

    /// <summary>Removes the key's versions below the storage's API (the embedded store's files).</summary>
    protected virtual Task RemoveInPlaceAsync(string key) => throw new NotSupportedException();

    private async Task RemoveAsync(StorageBackend backend, string key)
    {
        if (TamperInPlace)
        {
            await RemoveInPlaceAsync(key);
        }
        else
        {
            await backend.DeleteAsync(key, Ct);
        }
    }

    private static async Task<byte[]> ReadAsync(StorageBackend backend, string key)
    {
        await using var read = await backend.GetAsync(key, null, null, Ct);
        using var buffer = new MemoryStream();
        await read.Body.CopyToAsync(buffer, Ct);
        return buffer.ToArray();
    }

    // A holder of the credentials cannot change a locked version, but can add a new version; in place, the bytes are rewritten.
    private async Task OverwriteAsync(StorageBackend backend, string key, byte[] content)
    {
        if (TamperInPlace && (await backend.ListVersionsAsync(key, Ct)).Count > 0)
        {
            await ReplaceInPlaceAsync(key, content);
            return;
        }

        await backend.PutAsync(
            new BackendWriteRequest(key, "application/octet-stream", new Dictionary<string, string>(), new HdsRetentionInfo(HdsRetentionMode.Compliance, DateTimeOffset.UtcNow.AddDays(1), false)),
            new MemoryStream(content), Ct);
    }
}

internal static class CheckpointSignerAccess
{
    public static byte[] Resign(byte[] payload, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
    {
        var cms = new System.Security.Cryptography.Pkcs.SignedCms(new System.Security.Cryptography.Pkcs.ContentInfo(payload), detached: false);
        cms.ComputeSignature(new System.Security.Cryptography.Pkcs.CmsSigner(certificate), silent: true);
        return cms.Encode();
    }
}

public sealed class LocalStoreAuditTests : AuditContractTests
{
    protected override Task<StorageTarget> CreateTargetAsync() => Task.FromResult<StorageTarget>(new LocalTarget());

    protected override bool TamperInPlace => true;

    protected override Task ReplaceInPlaceAsync(string key, byte[] content)
    {
        var dir = ObjectDirectory(key);
        var version = Assert.Single(Directory.GetFiles(dir, "*.json"));
        return File.WriteAllBytesAsync(Path.ChangeExtension(version, ".bin"), content, Ct);
    }

    protected override Task RemoveInPlaceAsync(string key)
    {
        Directory.Delete(ObjectDirectory(key), recursive: true);
        return Task.CompletedTask;
    }

    private string ObjectDirectory(string key) =>
        Path.Combine(((LocalTarget)Target).Root, "objects", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(key))));
}

public sealed class RgwAuditTests : AuditContractTests
{
    protected override async Task<StorageTarget> CreateTargetAsync()
    {
        var target = new RgwTarget(await S3Server.GetAsync());
        await target.InitializeAsync();
        return target;
    }
}
