using System.Globalization;
using System.Net;
using System.Text;

namespace Hds.Storage.Cli.Audit;

/// <summary>
/// The access report as one self-contained HTML page (no external resource: inline CSS, the chart in inline SVG, a small inline
/// script), so a data protection officer can open it anywhere and send it. Every value is HTML-encoded.
/// </summary>
internal static class AccessReportHtml
{
    private static readonly string[] Palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    public static string Render(AccessReport report)
    {
        var h = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Access report — patient ").Append(E(report.Patient)).Append("</title>\n");
        h.Append("<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px}")
            .Append("th{background:#eee}.ok{color:#060;font-weight:bold}.bad{color:#b00;font-weight:bold}code{font-size:12px}</style></head><body>\n");
        h.Append("<h1>Access report</h1>\n<p>Patient pseudonym <code id=\"patient\">").Append(E(report.Patient)).Append("</code>, period ")
            .Append(E(Time(report.From) ?? "beginning")).Append(" to ").Append(E(Time(report.To) ?? "now")).Append(". Generated ")
            .Append(E(Time(report.GeneratedAt))).Append(" by ").Append(E(report.GeneratedBy)).Append(".</p>\n");
        var v = report.Verification;
        h.Append("<h2>Verification</h2>\n<p id=\"verification\" class=\"").Append(v.Valid ? "ok" : "bad").Append("\">")
            .Append(v.Valid ? "The audit trail covering this period verified: no problem found." : $"The audit trail is NOT intact: {v.Problems.Count} problem(s) found. Accesses in segments that failed verification are not listed.")
            .Append("</p>\n<p>").Append(v.RecordsScanned.ToString(inv)).Append(" records verified in ").Append(v.SegmentsRead.ToString(inv)).Append(" segment(s) (")
            .Append(v.SegmentsSkipped.ToString(inv)).Append(" outside the period not read), ").Append(v.Checkpoints.Count.ToString(inv)).Append(" signed checkpoint(s).</p>\n");
        var awaiting = v.Segments.Count(s => s.AwaitingCheckpoint);
        if (awaiting > 0)
        {
            h.Append("<p id=\"awaiting\" class=\"bad\">").Append(awaiting.ToString(inv))
                .Append(" segment(s), stored within the last minutes, are verified by their hash chain but not yet by their writer's signed checkpoint: ")
                .Append("their accesses are listed; make the report again later to have them vouched for.</p>\n");
        }

        if (v.Problems.Count > 0)
        {
            h.Append("<table id=\"problems\"><tr><th>Problem</th><th>Node</th><th>Sequence</th><th>Description</th></tr>\n");
            foreach (var p in v.Problems)
            {
                h.Append("<tr><td>").Append(E(p.Kind.ToString())).Append("</td><td>").Append(E(p.Node)).Append("</td><td>").Append(p.Sequence?.ToString(inv) ?? "-")
                    .Append("</td><td>").Append(E(p.Description)).Append("</td></tr>\n");
            }

            h.Append("</table>\n");
        }

        h.Append("<h2>Accesses per day</h2>\n").Append(Chart(report)).Append('\n');
        h.Append("<h2>Accesses</h2>\n<table id=\"accesses\"><tr><th>When (UTC)</th><th>Who</th><th>Role</th><th>What</th><th>Document</th><th>Version</th><th>Why</th><th>Outcome</th></tr>\n");
        foreach (var a in report.Accesses)
        {
            h.Append("<tr class=\"access\"><td>").Append(E(Time(a.Time))).Append("</td><td>").Append(E(a.ActorId)).Append("</td><td>").Append(E(a.Role))
                .Append("</td><td>").Append(E(a.Operation)).Append("</td><td>").Append(E(a.Key)).Append("</td><td><code>").Append(E(a.VersionId))
                .Append("</code></td><td>").Append(E(a.Purpose)).Append("</td><td>").Append(E(a.Outcome)).Append(a.Reason is null ? string.Empty : " (" + E(a.Reason) + ")")
                .Append("</td></tr>\n");
        }

        h.Append("</table>\n<h2>Segments and checkpoints verified</h2>\n<table id=\"segments\"><tr><th>Object</th><th>Records</th><th>SHA-256</th><th>Verified</th></tr>\n");
        foreach (var s in v.Segments)
        {
            h.Append("<tr><td><code>").Append(E(s.Key)).Append("</code></td><td>").Append(s.First.ToString(inv)).Append('–').Append(s.Last.ToString(inv))
                .Append("</td><td><code>").Append(E(s.Sha256)).Append("</code></td><td>").Append(!s.Verified ? "<b class=\"bad\">NO</b>" : s.AwaitingCheckpoint ? "chain only: awaiting its signed checkpoint" : "yes").Append("</td></tr>\n");
        }

        foreach (var c in v.Checkpoints)
        {
            h.Append("<tr><td><code>").Append(E(c.Key)).Append("</code></td><td>through ").Append(c.Sequence.ToString(inv)).Append(", signed ").Append(E(Time(c.SignedAt)))
                .Append("</td><td><code>").Append(E(c.Sha256)).Append("</code></td><td>").Append(c.Valid ? "signature valid" : "<b class=\"bad\">signature NOT valid</b>").Append("</td></tr>\n");
        }

        h.Append("</table>\n<p id=\"status\">").Append(report.Accesses.Count.ToString(inv)).Append(" access(es)</p>\n");

        // Runs in the reader's browser, offline: marks the page as rendered (a headless browser test reads this back).
        h.Append("<script>document.getElementById('status').textContent='Rendered: '+document.querySelectorAll('tr.access').length+' access(es), '")
            .Append("+document.querySelectorAll('svg rect.bar').length+' bar(s).';</script>\n</body></html>\n");
        return h.ToString();
    }

    private static string Chart(AccessReport report)
    {
        if (report.PerDay.Count == 0)
        {
            return "<p>No access in this period.</p>";
        }

        var inv = CultureInfo.InvariantCulture;
        var days = report.PerDay.Select(d => d.Day).Distinct().Order(StringComparer.Ordinal).ToList();
        var actors = report.PerDay.Select(d => d.Actor).Distinct().Order(StringComparer.Ordinal).ToList();
        var max = days.Max(day => report.PerDay.Where(d => d.Day == day).Sum(d => d.Count));
        const int Height = 200, BarWidth = 36, Gap = 14, Left = 40, Top = 10;
        var width = Left + days.Count * (BarWidth + Gap) + 160;
        var s = new StringBuilder();
        s.Append(CultureInfo.InvariantCulture, $"<svg id=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{Height + 60}\" role=\"img\" aria-label=\"accesses per day and actor\">");
        s.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Top + Height}\" x2=\"{Left + days.Count * (BarWidth + Gap)}\" y2=\"{Top + Height}\" stroke=\"#333\"/>");
        s.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{Top + 10}\" font-size=\"11\">{max}</text><text x=\"4\" y=\"{Top + Height}\" font-size=\"11\">0</text>");
        for (var i = 0; i < days.Count; i++)
        {
            var x = Left + i * (BarWidth + Gap) + Gap / 2;
            var y = Top + Height;
            foreach (var d in report.PerDay.Where(d => d.Day == days[i]))
            {
                var hgt = (int)Math.Max(1, Math.Round((double)d.Count / max * Height));
                y -= hgt;
                var color = Palette[actors.IndexOf(d.Actor) % Palette.Length];
                s.Append(CultureInfo.InvariantCulture, $"<rect class=\"bar\" x=\"{x}\" y=\"{y}\" width=\"{BarWidth}\" height=\"{hgt}\" fill=\"{color}\"><title>{E(d.Day)} {E(d.Actor)}: {d.Count}</title></rect>");
            }

            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{Top + Height + 14}\" font-size=\"10\" transform=\"rotate(30 {x} {Top + Height + 14})\">{E(days[i])}</text>");
        }

        var lx = Left + days.Count * (BarWidth + Gap) + 10;
        for (var a = 0; a < actors.Count; a++)
        {
            s.Append(CultureInfo.InvariantCulture, $"<rect x=\"{lx}\" y=\"{Top + a * 16}\" width=\"10\" height=\"10\" fill=\"{Palette[a % Palette.Length]}\"/>");
            s.Append(CultureInfo.InvariantCulture, $"<text x=\"{lx + 14}\" y=\"{Top + a * 16 + 9}\" font-size=\"11\">{E(actors[a])}</text>");
        }

        return s.Append("</svg>").ToString();
    }

    private static string? Time(DateTimeOffset? time) => time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string E(string? value) => WebUtility.HtmlEncode(value ?? string.Empty);
}
