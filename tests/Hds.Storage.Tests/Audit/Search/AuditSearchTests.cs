using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Audit.Search;
using Hds.Storage.Backends.Local;
using Hds.Storage.Tests.TestSupport;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Audit.Search;

/// <summary>
/// <see cref="HdsStorageClient.SearchAuditAsync"/> on the embedded store: filters, time pruning by segment name, records of segments
/// that do not verify left out and reported, and the search itself audited.
/// </summary>
public sealed class AuditSearchTests : IDisposable
{
    private const string PatientA = "msa:p-10000001";
    private const string PatientB = "msa:p-20000002";
    private readonly TestStore _store = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Search_by_patient_returns_exactly_that_patients_records_and_is_itself_audited()
    {
        await using var client = await WriteTrailAsync();

        var search = await client.SearchAuditAsync(Query(q => q.Patient = PatientA), Ct);
        var found = await ToListAsync(search);

        Assert.True(search.IsValid, string.Join("; ", search.Problems));
        Assert.Equal(["doc/a0", "doc/a1", "doc/a2", "doc/a3"], found.Where(r => r.Operation == HdsOperation.Put).Select(r => r.Key!).Order(StringComparer.Ordinal));
        Assert.All(found, r => Assert.Equal(PatientA, r.PatientPseudonym));
        Assert.Single(found, r => r.Operation == HdsOperation.Get && r.ActorId == "doctor-2");

        var searches = await ToListAsync(await client.SearchAuditAsync(Query(q => q.Operation = HdsOperation.ReadAudit), Ct));
        Assert.Contains(searches, r => r.ActorId == "auditor-1" && r.Role == HdsAuthorizationOptions.AuditorRole && r.Outcome == HdsAuditOutcome.Succeeded);
    }

    [Fact]
    public async Task Filters_combine_and_a_name_is_refused_as_a_patient_filter()
    {
        await using var client = await WriteTrailAsync();

        var reads = await ToListAsync(await client.SearchAuditAsync(Query(q => { q.Actor = "doctor-2"; q.Operation = HdsOperation.Get; q.KeyPrefix = "doc/"; }), Ct));

        Assert.Equal(["doc/a0", "doc/b0"], reads.Select(r => r.Key!).Order(StringComparer.Ordinal));
        await Assert.ThrowsAsync<HdsInvalidRequestException>(() => client.SearchAuditAsync(Query(q => q.Patient = "Jean Dupont"), Ct));
    }

    [Fact]
    public async Task Each_filter_keeps_only_the_records_it_names()
    {
        await using var client = await WriteTrailAsync();
        var afterReads = _store.Time.GetUtcNow();
        _store.Time.Advance(TimeSpan.FromHours(1));

        // Another tenant and purpose, a key that only a prefix matches, a second version of doc/a0, and a refused search (Denied).
        await client.PutAsync("doc/c0", new MemoryStream([6]), new HdsPutOptions { Context = new HdsAccessContext("doctor-3", "tenant-b", "research") { PatientPseudonym = PatientB } }, Ct);
        await client.PutAsync("doc/a1x", new MemoryStream([7]), new HdsPutOptions { Context = Care("doctor-1", PatientA) }, Ct);
        var second = await client.PutAsync("doc/a0", new MemoryStream([8]), new HdsPutOptions { Context = Care("doctor-1", PatientA) }, Ct);
        await Assert.ThrowsAnyAsync<HdsStorageException>(() => client.SearchAuditAsync(new HdsAuditQuery { Context = Care("doctor-1", PatientA) }, Ct));
        await client.FlushAuditAsync(Ct);

        async Task<List<HdsAuditRecord>> Documents(Action<HdsAuditQuery> set) =>
            (await ToListAsync(await client.SearchAuditAsync(Query(set), Ct))).Where(r => r.ActorId != "auditor-1").ToList();

        var tenantB = await Documents(q => q.Tenant = "tenant-b");
        Assert.Equal("doc/c0", Assert.Single(tenantB).Key);
        var research = await Documents(q => q.Purpose = "research");
        Assert.Equal("doc/c0", Assert.Single(research).Key);
        var denied = await Documents(q => q.Outcome = HdsAuditOutcome.Denied);
        Assert.Equal(HdsOperation.ReadAudit, Assert.Single(denied).Operation);
        Assert.Equal("doctor-1", denied[0].ActorId);
        var exact = await Documents(q => q.Key = "doc/a1");
        Assert.Equal("doc/a1", Assert.Single(exact).Key);
        var prefixed = await Documents(q => q.KeyPrefix = "doc/a1");
        Assert.Equal(["doc/a1", "doc/a1x"], prefixed.Select(r => r.Key!).Order(StringComparer.Ordinal));
        var version = await Documents(q => q.VersionId = second.VersionId);
        Assert.Equal(("doc/a0", HdsOperation.Put), (Assert.Single(version).Key, version[0].Operation));
        var puts = await Documents(q => q.Operation = HdsOperation.Put);
        Assert.Equal(9, puts.Count);
        Assert.All(puts, r => Assert.Equal(HdsOperation.Put, r.Operation));
        var byActor = await Documents(q => q.Actor = "doctor-3");
        Assert.Equal("doc/c0", Assert.Single(byActor).Key);
        var patientB = await Documents(q => q.Patient = PatientB);
        Assert.Equal(["doc/b0", "doc/b0", "doc/b1", "doc/c0"], patientB.Select(r => r.Key!).Order(StringComparer.Ordinal));

        // The end of the range: nothing after it is returned, and the segments wholly after it are not read.
        var until = await client.SearchAuditAsync(Query(q => q.To = afterReads), Ct);
        var early = await ToListAsync(until);
        Assert.True(until.IsValid, string.Join("; ", until.Problems));
        Assert.All(early, r => Assert.True(r.Time <= afterReads));
        Assert.DoesNotContain(early, r => r.Key is "doc/c0" or "doc/a1x");
        Assert.Equal(8, early.Count(r => r.Operation is HdsOperation.Put or HdsOperation.Get));
        Assert.True(until.SegmentsSkipped > 0, $"{until.SegmentsSkipped} skipped");
    }

    [Fact]
    public async Task Segments_outside_the_time_range_are_not_read()
    {
        await using var client = await WriteTrailAsync();
        var all = await client.SearchAuditAsync(Query(_ => { }), Ct);
        await ToListAsync(all);
        var late = _store.Time.GetUtcNow().AddMinutes(-30); // the doctor's reads happened an hour after the writes

        var narrow = await client.SearchAuditAsync(Query(q => q.From = late), Ct);
        var found = await ToListAsync(narrow);

        Assert.True(narrow.IsValid, string.Join("; ", narrow.Problems));
        Assert.True(narrow.SegmentsSkipped > 0, $"{narrow.SegmentsSkipped} skipped");
        Assert.True(narrow.BytesRead < all.BytesRead, $"{narrow.BytesRead} < {all.BytesRead}");
        Assert.DoesNotContain(found, r => r.Operation == HdsOperation.Put);
        Assert.Contains(found, r => r.Operation == HdsOperation.Get);
    }

    [Fact]
    public async Task Records_of_an_altered_segment_are_left_out_and_the_problem_is_reported_and_recorded()
    {
        await using var client = await WriteTrailAsync();
        var backend = new LocalBackend(_store.Options().Local!, TimeProvider.System);
        var first = (await backend.ListHistoryAsync(AuditStore.Prefix, Ct)).Select(v => v.Key).Where(k => k.Contains("/segments/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal).First();

        // The attacker holds the store's files: one byte of the first segment (the first writes of patient A) is changed on disk.
        var file = _store.DataFile(first);
        File.SetAttributes(file, FileAttributes.Normal);
        var bytes = await File.ReadAllBytesAsync(file, Ct);
        var at = System.Text.Encoding.ASCII.GetString(bytes).IndexOf("doc/a0", StringComparison.Ordinal);
        bytes[at + 4] = (byte)'x';
        await File.WriteAllBytesAsync(file, bytes, Ct);

        var search = await client.SearchAuditAsync(Query(q => q.Patient = PatientA), Ct);
        var found = await ToListAsync(search);

        Assert.False(search.IsValid);
        Assert.Contains(search.Problems, p => p.Kind is HdsAuditProblemKind.RecordAltered or HdsAuditProblemKind.SegmentInvalid);
        Assert.Contains(search.Segments, s => s.Key == first && !s.Verified);
        Assert.DoesNotContain(found, r => r.Operation == HdsOperation.Put && r.Key is "doc/a0" or "doc/a1" or "doc/ax"); // the altered segment: records 1 and 2
        Assert.Contains(found, r => r.Key == "doc/a3"); // other segments still answer
        var followUps = await ToListAsync(await client.SearchAuditAsync(Query(q => { q.Operation = HdsOperation.ReadAudit; q.Outcome = HdsAuditOutcome.IntegrityFailure; }), Ct));
        Assert.Contains(followUps, r => r.Reason == "audit-trail-invalid" && r.Follows is not null);
    }

    [Fact]
    public async Task Records_appended_to_the_chain_by_a_holder_of_the_store_are_marked_within_the_grace_period_and_left_out_after_it()
    {
        // The writer's node stops with its client; the searches are audited by another node (its own spool), so the writer's chain
        // ends where the attacker extends it.
        await (await WriteTrailAsync()).DisposeAsync();
        var options = _store.Options();
        options.Audit.SpoolDirectory = System.IO.Path.Combine(_store.Path, "auditor-spool");
        await using var client = new HdsStorageClient(options, _store.Time, null);
        var backend = new LocalBackend(_store.Options().Local!, _store.Time);
        var store = new AuditStore(backend, () => new HdsRetentionInfo(HdsRetentionMode.Compliance, _store.Time.GetUtcNow().AddDays(365), false));
        var lastSegment = (await store.ListAsync(Ct)).Where(k => k.Contains("/segments/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Last();
        var lines = System.Text.Encoding.UTF8.GetString(await store.ReadAsync(lastSegment, Ct)).TrimEnd('\n').Split('\n');
        var head = AuditRecordCodec.TryParse(System.Text.Encoding.UTF8.GetBytes(lines[^1]), out _)!;

        // The attacker holds the store (as S3 credentials hold a bucket): the unkeyed chain is extended with a read by a ghost actor,
        // linked to the real head, stored as a new locked segment as the writer would store it, with no checkpoint (no signing key).
        var forged = AuditRecordCodec.Chain(
            new HdsAuditRecord { Time = head.Time.AddSeconds(1), Operation = HdsOperation.Get, Outcome = HdsAuditOutcome.Succeeded, ActorId = "agent-ghost", Tenant = "tenant-a", Purpose = "care", PatientPseudonym = PatientA, Key = "doc/a0" },
            head.Node!, head.Sequence + 1, head.Hash!);
        await store.PutLockedAsync(AuditStore.SegmentKey(head.Node!, forged.Sequence, forged.Sequence, forged.Time, forged.Time),
            [.. AuditRecordCodec.ToLine(forged), (byte)'\n'], "application/x-ndjson", Ct);

        // Within the grace period it may be the writer's newest upload: returned, but marked as awaiting its signed checkpoint.
        var recent = await client.SearchAuditAsync(Query(q => q.Patient = PatientA), Ct);
        var found = await ToListAsync(recent);
        Assert.Contains(found, r => r.ActorId == "agent-ghost");
        Assert.True(recent.IsValid, string.Join("; ", recent.Problems));
        var awaiting = Assert.Single(recent.Segments, s => s.AwaitingCheckpoint);
        Assert.Equal(forged.Sequence, awaiting.First);
        Assert.DoesNotContain(recent.Segments, s => s.AwaitingCheckpoint && s.Last <= head.Sequence);

        // A copy kept outside the trail (an export) takes signed records only.
        var signedOnly = await ToListAsync(await client.SearchAuditAsync(Query(q => { q.Patient = PatientA; q.SignedOnly = true; }), Ct));
        Assert.DoesNotContain(signedOnly, r => r.ActorId == "agent-ghost");
        Assert.Contains(signedOnly, r => r.ActorId == "doctor-2");

        // After the grace period nothing will sign it: reported, and its records are no longer returned.
        _store.Time.Advance(TimeSpan.FromMinutes(11));
        var later = await client.SearchAuditAsync(Query(q => q.Patient = PatientA), Ct);
        var laterFound = await ToListAsync(later);
        Assert.DoesNotContain(laterFound, r => r.ActorId == "agent-ghost");
        Assert.Contains(laterFound, r => r.ActorId == "doctor-2");
        Assert.Contains(later.Problems, p => p.Kind == HdsAuditProblemKind.CheckpointMissing && p.Sequence == forged.Sequence);
        Assert.DoesNotContain(later.Segments, s => s.AwaitingCheckpoint);
    }

    [Theory]
    [InlineData("msa:p-20391847", true)]
    [InlineData("p-00000001", true)]
    [InlineData("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz", true)] // HdsOpaqueKeys' 52 base32 characters
    [InlineData("Jean Dupont", false)]
    [InlineData("jean.dupont", false)]
    [InlineData("jean.dupont@example.org", false)]
    [InlineData("p-1", false)]
    [InlineData("1850775123456", true)] // shaped like a pseudonym: a shape check cannot tell, the documentation says so
    public void Patient_pseudonyms_are_checked_for_their_shape(string value, bool valid) =>
        Assert.Equal(valid, HdsPseudonyms.IsValidPatientPseudonym(value));

    [Fact]
    public void An_opaque_key_segment_is_a_valid_pseudonym()
    {
        using var keys = new HdsOpaqueKeys(new byte[32]);
        Assert.True(HdsPseudonyms.IsValidPatientPseudonym(keys.Derive("patient", "any identifier")));
    }

    private static HdsAuditQuery Query(Action<HdsAuditQuery> set)
    {
        var query = new HdsAuditQuery { Context = TestStore.Auditor().Context };
        set(query);
        return query;
    }

    private static async Task<List<HdsAuditRecord>> ToListAsync(HdsAuditSearch search)
    {
        var list = new List<HdsAuditRecord>();
        await foreach (var record in search.WithCancellation(Ct))
        {
            list.Add(record);
        }

        return list;
    }

    // Patient A: four documents written by doctor-1; patient B: two. An hour later doctor-2 reads one of each. Segments of two records.
    private async Task<HdsStorageClient> WriteTrailAsync()
    {
        var options = _store.Options();
        options.Audit.BatchSize = 2;
        options.Audit.UploadInterval = TimeSpan.FromHours(10);
        var client = new HdsStorageClient(options, _store.Time, null);
        for (var i = 0; i < 4; i++)
        {
            await client.PutAsync($"doc/a{i}", new MemoryStream([1, 2, 3]), new HdsPutOptions { Context = Care("doctor-1", PatientA) }, Ct);
        }

        for (var i = 0; i < 2; i++)
        {
            await client.PutAsync($"doc/b{i}", new MemoryStream([4, 5]), new HdsPutOptions { Context = Care("doctor-1", PatientB) }, Ct);
        }

        await client.FlushAuditAsync(Ct);
        _store.Time.Advance(TimeSpan.FromHours(1));
        await TestStore.ReadAllAsync(client, "doc/a0", new HdsGetOptions { Context = Care("doctor-2", PatientA) });
        await TestStore.ReadAllAsync(client, "doc/b0", new HdsGetOptions { Context = Care("doctor-2", PatientB) });
        await client.FlushAuditAsync(Ct);
        return client;
    }

    private static HdsAccessContext Care(string actor, string patient) => new(actor, "tenant-a", "care") { PatientPseudonym = patient };
}
