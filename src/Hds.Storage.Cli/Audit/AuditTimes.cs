using System.Globalization;

namespace Hds.Storage.Cli.Audit;

/// <summary>Times given to the audit commands: ISO-8601, UTC when no offset is given; a date alone as <c>--to</c> means the end of that day.</summary>
internal static class AuditTimes
{
    public static DateTimeOffset? Parse(string? value, string option, bool endOfDay)
    {
        if (value is null)
        {
            return null;
        }

        if (!DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            throw new CliUsageException($"{option} must be an ISO-8601 date or time, for example 2026-01-31 or 2026-01-31T08:00:00Z.");
        }

        return endOfDay && value.Length == 10 ? time.AddDays(1).AddTicks(-1) : time;
    }
}
