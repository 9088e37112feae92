using System.Text;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Audit;

/// <summary>The audit record format versions: old records stay verifiable, new members are versioned and strict.</summary>
public sealed class AuditRecordCodecTests
{
    // Written by `hds put` before format version 2 existed (commit 45dce3c): it must stay canonical and verify forever.
    private const string StoredVersion1Line =
        """{"v":1,"node":"n76783f40de49f28c","seq":1,"time":"2026-11-28T21:45:17.3806041Z","op":"Put","outcome":"Succeeded","actor":"op-1","actorKind":"user","role":"operator","tenant":"msa","purpose":"care","app":"hds-cli","key":"doc-1","versionId":"08df4d98e47e5ecaa221ab545ce3dcd5","size":6,"sha256":"5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03","prev":"0000000000000000000000000000000000000000000000000000000000000000","hash":"af651fa4b49e9c02128575c8ef8fb455b2d7313a0d0b78863e94070c6f31c8c9"}""";

    private static HdsAuditRecord Entry() => new()
    {
        Time = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        Operation = HdsOperation.RotateKey,
        Outcome = HdsAuditOutcome.Succeeded,
        ActorId = "officer-1",
        Tenant = "msa",
    };

    private static string Line(HdsAuditRecord record) =>
        Encoding.UTF8.GetString(AuditRecordCodec.ToLine(AuditRecordCodec.Chain(record, "n1", 1, AuditRecordCodec.GenesisHash)));

    [Fact]
    public void A_record_stored_in_version_1_still_parses_canonically_and_matches_its_hash()
    {
        var record = AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(StoredVersion1Line), out var problem);

        Assert.Null(problem);
        Assert.Equal(("doc-1", null, null), (record!.Key, record.KeyId, record.Site));
        Assert.Equal(StoredVersion1Line, record.ToJsonLine());
    }

    [Fact]
    public void Records_without_the_new_members_are_still_written_as_version_1()
    {
        Assert.StartsWith("{\"v\":1,", Line(Entry()), StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_id_makes_a_version_2_record_that_round_trips()
    {
        var line = Line(Entry() with { KeyId = "20260101T000000Z-0123456789ab" });

        Assert.StartsWith("{\"v\":2,", line, StringComparison.Ordinal);
        Assert.Contains("\"keyId\":\"20260101T000000Z-0123456789ab\"", line, StringComparison.Ordinal);
        Assert.Equal("20260101T000000Z-0123456789ab", AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(line), out _)!.KeyId);
    }

    [Fact]
    public void A_write_found_after_a_lost_answer_makes_a_version_2_record_and_false_is_never_written()
    {
        var line = Line(Entry() with { Operation = HdsOperation.Put, Site = "paris-1", FoundAfterLostAnswer = true });

        Assert.StartsWith("{\"v\":2,", line, StringComparison.Ordinal);
        Assert.Contains("\"site\":\"paris-1\",\"lostAnswer\":true,", line, StringComparison.Ordinal);
        var parsed = AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(line), out _)!;
        Assert.Equal(("paris-1", true), (parsed.Site, parsed.FoundAfterLostAnswer));
        Assert.DoesNotContain("lostAnswer", Line(Entry() with { Site = "paris-1" }), StringComparison.Ordinal);
        Assert.Null(AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(line.Replace("\"lostAnswer\":true", "\"lostAnswer\":false", StringComparison.Ordinal)), out var problem));
        Assert.Equal("record not in canonical form", problem);
    }

    [Fact]
    public void A_version_that_does_not_match_the_members_or_is_unknown_is_refused()
    {
        var withKeyId = Line(Entry() with { KeyId = "k-1" });
        var withoutKeyId = Line(Entry());

        // Whatever the hash says: the version is part of the canonical form.
        Assert.Null(AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(withKeyId.Replace("{\"v\":2,", "{\"v\":1,", StringComparison.Ordinal)), out var downgraded));
        Assert.Null(AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(withoutKeyId.Replace("{\"v\":1,", "{\"v\":2,", StringComparison.Ordinal)), out var upgraded));
        Assert.Null(AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(withoutKeyId.Replace("{\"v\":1,", "{\"v\":4,", StringComparison.Ordinal)), out var unknown));
        Assert.Equal(("record not in canonical form", "record not in canonical form", "unparseable record"), (downgraded, upgraded, unknown));
    }

    [Fact]
    public void What_changed_makes_a_version_3_record_in_a_fixed_member_order_that_round_trips()
    {
        var until = new DateTimeOffset(2046, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var line = Line(Entry() with { Operation = HdsOperation.ExtendRetention, RetainUntilRequested = until, RetainUntil = until.AddSeconds(1), LegalHold = false, Follows = 7 });

        Assert.StartsWith("{\"v\":3,", line, StringComparison.Ordinal);
        Assert.Contains("\"follows\":7,\"legalHold\":false,\"retainUntilAsked\":\"2046-01-01T00:00:00.0000000Z\",\"retainUntil\":\"2046-01-01T00:00:01.0000000Z\",\"prev\":", line, StringComparison.Ordinal);
        var parsed = AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(line), out _)!;
        Assert.Equal((7L, false, until, until.AddSeconds(1)), (parsed.Follows!.Value, parsed.LegalHold!.Value, parsed.RetainUntilRequested!.Value, parsed.RetainUntil!.Value));
        Assert.Null(AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(line.Replace("{\"v\":3,", "{\"v\":2,", StringComparison.Ordinal)), out var downgraded));
        Assert.Equal("record not in canonical form", downgraded);
    }

    [Theory]
    [InlineData(HdsAuditOutcome.Cancelled)]
    [InlineData(HdsAuditOutcome.Incomplete)]
    public void The_outcomes_of_format_3_make_a_version_3_record(HdsAuditOutcome outcome) =>
        Assert.StartsWith("{\"v\":3,", Line(Entry() with { Outcome = outcome }), StringComparison.Ordinal);
}
