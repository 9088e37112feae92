using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Hds.Storage.Access;
using Hds.Storage.Models;

namespace Hds.Storage.Audit;

/// <summary>
/// The canonical serialization of audit records (docs/format.md §12, "Audit records"): one JSON object per line, fields in a fixed
/// order, absent values omitted, time as UTC with 7 fractional digits. Hash = SHA-256 over the canonical bytes without the
/// "hash" member; the stored line is those bytes with ,"hash":"..." appended before the closing brace. A line is accepted only
/// if it is byte-for-byte the canonical form of what it parses to, so no field can be added, reordered or re-encoded unseen.
/// </summary>
/// <remarks>
/// Version 3 added optional members ("follows", "legalHold", "retainUntilAsked", "retainUntil") and the outcomes "Cancelled" and
/// "Incomplete". Version 2 added optional members ("keyId", "lostAnswer"). A record is written with the lowest version that holds its members, so every
/// version 1 record stays byte-for-byte canonical and verifiable, and a verifier that predates version 2 reports a version 2
/// record as of an unknown version rather than as altered.
/// </remarks>
internal static class AuditRecordCodec
{
    public const int FormatVersion = 3;
    public static readonly string GenesisHash = new('0', 64);
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'";

    public static HdsAuditRecord Chain(HdsAuditRecord record, string node, long sequence, string previousHash)
    {
        var chained = record with { Node = node, Sequence = sequence, PreviousHash = previousHash, Hash = null };
        return chained with { Hash = Convert.ToHexStringLower(SHA256.HashData(Canonical(chained))) };
    }

    /// <summary>The stored line (with the hash member), without the trailing newline.</summary>
    public static byte[] ToLine(HdsAuditRecord record) => Line(Canonical(record), record.Hash);

    private static byte[] Line(byte[] canonical, string? hash)
    {
        var suffix = System.Text.Encoding.ASCII.GetBytes(",\"hash\":\"" + hash + "\"}");
        var line = new byte[canonical.Length - 1 + suffix.Length];
        canonical.AsSpan(0, canonical.Length - 1).CopyTo(line);
        suffix.CopyTo(line, canonical.Length - 1);
        return line;
    }

    /// <summary>Parses one stored line and checks it is canonical and matches its hash; null with a reason when not.</summary>
    public static HdsAuditRecord? TryParse(ReadOnlySpan<byte> line, out string? problem)
    {
        HdsAuditRecord record;
        try
        {
            record = Parse(line);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException or ArgumentException or OverflowException)
        {
            problem = "unparseable record";
            return null;
        }

        // The canonical form never holds the hash member: serialized once, it gives both the stored line to compare and the hash.
        var canonical = Canonical(record);
        if (!line.SequenceEqual(Line(canonical, record.Hash)))
        {
            problem = "record not in canonical form";
            return null;
        }

        var expected = Convert.ToHexStringLower(SHA256.HashData(canonical));
        if (record.Hash is null || !CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(expected), System.Text.Encoding.ASCII.GetBytes(record.Hash)))
        {
            problem = "record hash mismatch";
            return null;
        }

        problem = null;
        return record;
    }

    public static byte[] Canonical(HdsAuditRecord r)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = false }))
        {
            w.WriteStartObject();
            w.WriteNumber("v", VersionOf(r));
            Str(w, "node", r.Node);
            w.WriteNumber("seq", r.Sequence);
            w.WriteString("time", r.Time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
            w.WriteString("op", r.Operation.ToString());
            w.WriteString("outcome", r.Outcome.ToString());
            Str(w, "reason", r.Reason);
            Str(w, "actor", r.ActorId);
            Str(w, "actorKind", r.ActorKind);
            Str(w, "role", r.Role);
            Str(w, "tenant", r.Tenant);
            Str(w, "purpose", r.Purpose);
            Str(w, "patient", r.PatientPseudonym);
            Str(w, "correlationId", r.CorrelationId);
            Str(w, "app", r.Application);
            Str(w, "key", r.Key);
            Str(w, "versionId", r.VersionId);
            if (r.Size is { } size)
            {
                w.WriteNumber("size", size);
            }

            Str(w, "sha256", r.Sha256);
            Str(w, "keyId", r.KeyId);
            Str(w, "traceId", r.TraceId);
            Str(w, "site", r.Site);
            if (r.FoundAfterLostAnswer)
            {
                w.WriteBoolean("lostAnswer", true);
            }

            if (r.Follows is { } follows)
            {
                w.WriteNumber("follows", follows);
            }

            if (r.LegalHold is { } hold)
            {
                w.WriteBoolean("legalHold", hold);
            }

            if (r.RetainUntilRequested is { } asked)
            {
                w.WriteString("retainUntilAsked", asked.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
            }

            if (r.RetainUntil is { } until)
            {
                w.WriteString("retainUntil", until.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture));
            }

            Str(w, "prev", r.PreviousHash);
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static HdsAuditRecord Parse(ReadOnlySpan<byte> line)
    {
        using var doc = JsonDocument.Parse(line.ToArray());
        var e = doc.RootElement;
        if (e.GetProperty("v").GetInt32() is < 1 or > FormatVersion)
        {
            throw new FormatException("unknown audit record version");
        }

        return new HdsAuditRecord
        {
            Node = Opt(e, "node"),
            Sequence = e.GetProperty("seq").GetInt64(),
            Time = ParseTime(e.GetProperty("time").GetString()!),
            Operation = Enum.Parse<HdsOperation>(e.GetProperty("op").GetString()!),
            Outcome = Enum.Parse<HdsAuditOutcome>(e.GetProperty("outcome").GetString()!),
            Reason = Opt(e, "reason"),
            ActorId = Opt(e, "actor"),
            ActorKind = Opt(e, "actorKind"),
            Role = Opt(e, "role"),
            Tenant = Opt(e, "tenant"),
            Purpose = Opt(e, "purpose"),
            PatientPseudonym = Opt(e, "patient"),
            CorrelationId = Opt(e, "correlationId"),
            Application = Opt(e, "app"),
            Key = Opt(e, "key"),
            VersionId = Opt(e, "versionId"),
            Size = e.TryGetProperty("size", out var s) ? s.GetInt64() : null,
            Sha256 = Opt(e, "sha256"),
            KeyId = Opt(e, "keyId"),
            TraceId = Opt(e, "traceId"),
            Site = Opt(e, "site"),
            FoundAfterLostAnswer = e.TryGetProperty("lostAnswer", out var lost) && lost.GetBoolean(),
            Follows = e.TryGetProperty("follows", out var follows) ? follows.GetInt64() : null,
            LegalHold = e.TryGetProperty("legalHold", out var hold) ? hold.GetBoolean() : null,
            RetainUntilRequested = e.TryGetProperty("retainUntilAsked", out var asked) ? ParseTime(asked.GetString()!) : null,
            RetainUntil = e.TryGetProperty("retainUntil", out var until) ? ParseTime(until.GetString()!) : null,
            PreviousHash = Opt(e, "prev"),
            Hash = Opt(e, "hash"),
        };
    }

    private static DateTimeOffset ParseTime(string value) =>
        new(DateTime.ParseExact(value, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), TimeSpan.Zero);

    // The lowest version holding the record's members (and outcome): older records stay byte-for-byte what they were.
    private static int VersionOf(HdsAuditRecord r) =>
        r.Follows is not null || r.LegalHold is not null || r.RetainUntilRequested is not null || r.RetainUntil is not null
            || r.Outcome is HdsAuditOutcome.Cancelled or HdsAuditOutcome.Incomplete ? 3
        : r.KeyId is not null || r.FoundAfterLostAnswer ? 2
        : 1;

    private static void Str(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static string? Opt(JsonElement e, string name) => e.TryGetProperty(name, out var p) ? p.GetString() : null;
}
