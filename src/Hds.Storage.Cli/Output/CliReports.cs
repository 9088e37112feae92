using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hds.Storage.Audit;
using Hds.Storage.Cli.Commands;
using Hds.Storage.Models;
using Hds.Storage.Retention;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Hds.Storage.Cli.Output;

/// <summary>
/// Every kind of result <c>hds</c> prints: its JSON type info and, next to it, its human rendering. A command names the report; it never
/// chooses the form (<see cref="CliOutput"/> does).
/// </summary>
internal static class CliReports
{
    public static readonly CliReport<HdsStorageReceipt> Receipt = new(CliJson.Default.HdsStorageReceipt, r => Titled(
        $"Stored {r.Key}. Keep the receipt: 'hds verify --receipt' reads it as JSON (hds put ... -o json > receipt.json).",
        Fields(
            ("Key", r.Key),
            ("Version", r.VersionId),
            ("Size", Bytes(r.Size)),
            ("Stored size", Bytes(r.StoredSize)),
            ("SHA-256", r.Sha256),
            ("Retention class", r.RetentionClass),
            ("Retention", Retention(r.RetentionMode, r.RetainUntil)),
            ("Legal hold", OnOff(r.LegalHold)),
            ("Writer", r.Writer),
            ("Created", Time(r.CreatedAt)),
            ("Key id", r.KeyId),
            ("Format", Number(r.FormatVersion)),
            ("Confirmed on", string.Join(", ", r.ConfirmedSites)))));

    public static readonly CliReport<HdsObjectProperties> Properties = new(CliJson.Default.HdsObjectProperties, PropertyFields);

    /// <summary>The properties' JSON (same fields as hds head) with "sha256" and, for a range, "rangeBytes" added.</summary>
    public static readonly CliReport<DownloadReport> Download = new(
        d =>
        {
            var json = JsonSerializer.SerializeToNode(d.Properties, CliJson.Default.HdsObjectProperties)!.AsObject();
            json["sha256"] = d.Sha256;
            if (d.RangeBytes is { } range)
            {
                json["rangeBytes"] = range;
            }

            return json.ToJsonString(Indented);
        },
        d => PropertyFields(d.Properties, d.Sha256 is { } sha ? ("SHA-256", sha + " (verified)") : ("Range written", Bytes(d.RangeBytes ?? 0))));

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static readonly CliListing<HdsObjectItem> Objects = new(
        CliJson.Default.HdsObjectItem,
        items => new Listing(["Key", "Stored size", "Last modified"], [.. items.Select(i => new[] { i.Key, Bytes(i.StoredSize), Time(i.LastModified) })]),
        count => count == 0 ? "No objects." : $"{count} object(s), latest versions.");

    public static readonly CliReport<IReadOnlyList<HdsObjectVersionItem>> Versions = new(CliJson.Default.IReadOnlyListHdsObjectVersionItem, versions => versions.Count == 0
        ? new Text("No versions.")
        : Listed(
            $"{versions[0].Key}: {versions.Count} version(s) and delete marker(s), newest first:",
            ["Version", "Latest", "Kind", "Stored size", "Last modified"],
            versions.Select(v => new[] { v.VersionId, YesNo(v.IsLatest), v.IsDeleteMarker ? "delete marker" : "version", Bytes(v.StoredSize), Time(v.LastModified) })));

    public static readonly CliReport<HdsDeleteResult> Deleted = new(CliJson.Default.HdsDeleteResult, d => Titled(
        $"{d.Key} is hidden behind a delete marker; its versions stay stored, locked, until their retention expires ('hds versions' lists them).",
        Fields(("Key", d.Key), ("Delete marker", d.DeleteMarkerVersionId))));

    public static readonly CliReport<HdsVerificationResult> Verified = new(CliJson.Default.HdsVerificationResult, v => Titled(
        $"Verified: {v.Key} reads back whole, with the length and SHA-256 sealed at write time.",
        Fields(
            ("Key", v.Key),
            ("Version", v.VersionId),
            ("Size", Bytes(v.Size)),
            ("SHA-256", v.Sha256),
            ("Retention", Retention(v.Properties.Retention.Mode, v.Properties.Retention.RetainUntil)),
            ("Legal hold", OnOff(v.Properties.Retention.LegalHold)),
            ("Writer", v.Properties.Writer),
            ("Duplicates", v.DuplicateVersionIds.Count == 0 ? "none"
                : string.Join(", ", v.DuplicateVersionIds) + " (the same write stored twice during a partition: one logical write)"))));

    public static readonly CliReport<BucketReport> Bucket = new(CliJson.Default.BucketReport, b => Fields(
        ("Bucket", b.Bucket),
        ("Versioning", b.VersioningEnabled ? "enabled" : "NOT enabled"),
        ("Object lock", b.ObjectLockEnabled ? "enabled" : "NOT enabled"),
        ("Compliant", b.Compliant ? "yes: versions kept, locks enforced" : "NO: not fit for health data"),
        ("HDS grade", (b.HdsGrade ? "possible: " : "NO: ") + b.Grade),
        ("Metadata master", b.MetadataMaster is null ? "not configured"
            : b.MetadataMasterReachable == true ? b.MetadataMaster + ": reachable"
            : b.MetadataMaster + ": UNREACHABLE (bucket changes impossible until it is back; data still served by the other sites)"),
        ("Warnings", b.Warnings.Count == 0 ? "none" : string.Join(Environment.NewLine, b.Warnings))));

    public static readonly CliReport<List<KeyReport>> Keys = new(CliJson.Default.ListKeyReport, keys => keys.Count == 0
        ? new Text("The key ring is empty: the first write creates its first key.")
        : Listed(
            $"{keys.Count} key(s), oldest first:",
            ["Id", "Current", "Available", "Created", "Activation", "Expiry", "Revoked", "Recipients"],
            keys.Select(k => new[]
            {
                k.Id, YesNo(k.Current), YesNo(k.Available), Time(k.Created), Time(k.Activation), Time(k.Expiry), Time(k.Revoked),
                string.Join(Environment.NewLine, k.Recipients),
            })));

    public static readonly CliReport<Sites.SitesStatusReport> Sites = new(CliJson.Default.SitesStatusReport, r => Listed(
        r.ProbeSite is null
            ? $"Bucket {r.Bucket}: no probe written ({(r.Probes == 0 ? "--probes 0" : "no writable site answered")})."
            : $"Bucket {r.Bucket}: {r.Probes} probe(s) written on {r.ProbeSite}; lag = time until a probe is seen, locked, on the site (timeout {r.ProbeTimeoutSeconds} s).",
        ["Site", "Role", "Reachable", "Versioning", "Object lock", "Probes seen", "Lag p50 ms", "Lag p95 ms", "Lag max ms"],
        r.Sites.Select(s => new[]
        {
            s.Name, s.Role, s.Reachable ? "yes" : "NO: " + s.Error, YesNo(s.VersioningEnabled), YesNo(s.ObjectLockEnabled),
            s.ProbeWrittenHere ? "written here" : s.Probes == 0 ? "-" : $"{s.ProbesSeen}/{s.Probes}" + (s.ProbesSeenWithoutLock > 0 ? $" ({s.ProbesSeenWithoutLock} UNLOCKED)" : string.Empty),
            Ms(s.LagP50Ms), Ms(s.LagP95Ms), Ms(s.LagMaxMs),
        })));

    public static readonly CliReport<KeyReport> Key = new(CliJson.Default.KeyReport, k => Fields(
        ("Id", k.Id),
        ("Current", YesNo(k.Current)),
        ("Available", YesNo(k.Available)),
        ("Created", Time(k.Created)),
        ("Activation", Time(k.Activation)),
        ("Expiry", Time(k.Expiry)),
        ("Revoked", Time(k.Revoked)),
        ("Recipients", string.Join(Environment.NewLine, k.Recipients))));

    public static readonly CliReport<RewrapReport> Rewrap = new(CliJson.Default.RewrapReport, r => r.Rewrapped == 0
        ? new Text("Nothing to rewrap: every key-ring entry is already encrypted to the configured certificates.")
        : Titled($"Rewrapped {r.Rewrapped} key(s) to the configured certificates:", new Rows(r.Keys.Select(k => new Text(k)))));

    public static readonly CliReport<AuditReport> Audit = new(CliJson.Default.AuditReport, AuditFields);

    /// <summary>One line per record: JSON Lines, or a line of name=value pairs for people.</summary>
    public static readonly CliReport<HdsAuditRecord> AuditRecord = new(Cli.Audit.AuditRecordJson.Default.HdsAuditRecord, r => new Text(AuditLine(r)));

    /// <summary><c>hds config show</c>: sources, validity and the options, built as JSON (secrets already masked).</summary>
    public static readonly CliReport<JsonObject> Configuration = new(
        c => c.ToJsonString(new JsonSerializerOptions { WriteIndented = true }),
        ConfigurationFields);

    private static readonly Style LabelStyle = new(decoration: Decoration.Bold);

    private static readonly Style ProblemStyle = new(foreground: Color.Red, decoration: Decoration.Bold);

    private static Grid PropertyFields(HdsObjectProperties p) => PropertyFields(p, null);

    private static Grid PropertyFields(HdsObjectProperties p, (string Label, string? Value)? extra) => Fields([.. PropertyRows(p), .. extra is { } row ? [row] : Array.Empty<(string, string?)>()]);

    private static (string Label, string? Value)[] PropertyRows(HdsObjectProperties p) => [
        ("Key", p.Key),
        ("Version", p.VersionId),
        ("Size", p.Size is { } size ? Bytes(size) : "known once read (hds verify)"),
        ("Stored size", Bytes(p.StoredSize)),
        ("Content type", p.ContentType),
        ("Last modified", Time(p.LastModified)),
        ("Retention class", p.RetentionClass),
        ("Retention", Retention(p.Retention.Mode, p.Retention.RetainUntil)),
        ("Legal hold", OnOff(p.Retention.LegalHold)),
        ("Writer", p.Writer),
        ("Format", p.FormatVersion is { } format ? Number(format) : null),
        ("ETag", p.ETag),
    ];

    private static IRenderable AuditFields(AuditReport a)
    {
        var summary = Fields(
            ("Trail", a.Valid ? "intact" : $"NOT intact: {a.Problems.Count} problem(s)"),
            ("Nodes", string.Join(", ", a.Nodes)),
            ("Records verified", Number(a.RecordsVerified)),
            ("Segments verified", Number(a.SegmentsVerified)),
            ("Checkpoints verified", Number(a.CheckpointsVerified)));
        return a.Problems.Count == 0 ? summary : new Rows(
            summary,
            Listed("Problems:", ["Kind", "Node", "Sequence", "Description"],
                a.Problems.Select(p => new[] { p.Kind.ToString(), p.Node, p.Sequence is { } s ? Number(s) : "-", p.Description })));
    }

    private static string AuditLine(HdsAuditRecord r)
    {
        var line = new StringBuilder(Time(r.Time)).Append(' ').Append(r.Operation).Append(' ').Append(r.Outcome);
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                line.Append(' ').Append(name).Append('=').Append(value);
            }
        }

        Add("reason", r.Reason);
        Add("actor", r.ActorId);
        Add("role", r.Role);
        Add("tenant", r.Tenant);
        Add("purpose", r.Purpose);
        Add("key", r.Key);
        Add("version", r.VersionId);
        Add("size", r.Size is { } size ? Number(size) : null);
        Add("node", r.Node is null ? null : r.Node + "#" + Number(r.Sequence));
        return line.ToString();
    }

    private static Grid ConfigurationFields(JsonObject c)
    {
        var rows = new List<(string, string?)>
        {
            ("Valid", c["valid"]?.GetValue<bool>() == true ? "yes" : "NO: " + string.Join(" ", c["problems"]!.AsArray().Select(p => p!.GetValue<string>()))),
            ("Sources", string.Join(", ", c["sources"]!.AsArray().Select(s => s!.ToString()))),
            ("HDS grade", (c["hdsGrade"]?.GetValue<bool>() == true ? "possible: " : "NO: ") + c["grade"]),
            ("Warnings", c["warnings"] is JsonArray { Count: > 0 } warnings ? string.Join(Environment.NewLine, warnings.Select(w => w!.GetValue<string>())) : "none"),
        };
        Flatten(HdsStorageServiceCollectionExtensions.DefaultSectionName, c[HdsStorageServiceCollectionExtensions.DefaultSectionName], rows);
        return Fields([.. rows]);
    }

    // The configuration keys as one would set them (HdsStorage:S3:Bucket, or HdsStorage__S3__Bucket in the environment).
    private static void Flatten(string path, JsonNode? node, List<(string, string?)> rows)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (name, child) in obj)
                {
                    Flatten(path + ":" + name, child, rows);
                }

                break;
            case JsonArray array:
                rows.Add((path, array.Count == 0 ? "(none)" : string.Join(Environment.NewLine, array.Select(a => a?.ToString()))));
                break;
            default:
                rows.Add((path, node?.ToString()));
                break;
        }
    }

    private static Rows Titled(string title, IRenderable body) => new Rows(new Text(title, LabelStyle), body);

    private static Grid Fields(params (string Label, string? Value)[] rows)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        foreach (var (label, value) in rows)
        {
            // Values that report a problem are worded "NOT …" / "NO: …" in every report: the one place they turn red.
            var problem = value is not null && (value.StartsWith("NOT ", StringComparison.Ordinal) || value.StartsWith("NO:", StringComparison.Ordinal));
            grid.AddRow(new Text(label, LabelStyle), new Text(value ?? "-", problem ? ProblemStyle : Style.Plain));
        }

        return grid;
    }

    private static Rows Listed(string title, string[] columns, IEnumerable<string[]> rows) => Titled(title, new Listing(columns, [.. rows]));

    /// <summary>
    /// Rows of values: a table when it fits the terminal's width, else one block of "Label value" lines per row. Never a table whose
    /// cells wrap: the values operators copy (key ids, version ids, SHA-256) must stay whole on one line.
    /// </summary>
    private sealed class Listing(string[] columns, IReadOnlyList<string[]> rows) : Renderable
    {
        protected override Measurement Measure(RenderOptions options, int maxWidth) => Choose(options).Measure(options, maxWidth);

        protected override IEnumerable<Segment> Render(RenderOptions options, int maxWidth) => Choose(options).Render(options, maxWidth);

        private IRenderable Choose(RenderOptions options)
        {
            var table = new Table().Border(TableBorder.Rounded);
            foreach (var column in columns)
            {
                table.AddColumn(new TableColumn(new Text(column, LabelStyle)).NoWrap());
            }

            foreach (var row in rows)
            {
                table.AddRow(row.Select(cell => (IRenderable)new Text(cell)));
            }

            if (((IRenderable)table).Measure(options, int.MaxValue / 2).Max <= CliOutput.FitWidth)
            {
                return table;
            }

            var blocks = new List<IRenderable>();
            foreach (var row in rows)
            {
                blocks.Add(Fields([.. columns.Zip(row, (label, value) => (label, (string?)value))]));
                blocks.Add(new Text(string.Empty));
            }

            return new Rows(blocks);
        }
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Bytes(long bytes) => bytes < 1024
        ? bytes.ToString("N0", CultureInfo.InvariantCulture) + " bytes"
        : string.Create(CultureInfo.InvariantCulture, $"{bytes:N0} bytes ({Scaled(bytes)})");

    private static string Scaled(long bytes)
    {
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        var value = bytes / 1024.0;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value:0.#} {units[unit]}");
    }

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset? time) => time is { } t ? Time(t) : "-";

    private static string Retention(HdsRetentionMode mode, DateTimeOffset? until) =>
        mode == HdsRetentionMode.None || until is null ? "none" : $"{mode} until {Time(until.Value)}";

    private static string YesNo(bool value) => value ? "yes" : "no";

    private static string YesNo(bool? value) => value is { } v ? YesNo(v) : "-";

    private static string Ms(double? value) => value?.ToString("0.#", CultureInfo.InvariantCulture) ?? "-";

    private static string OnOff(bool value) => value ? "on" : "off";
}
