using System.CommandLine;
using Hds.Storage.Cli.Output;
using Hds.Storage.Cli.Sites;

namespace Hds.Storage.Cli.Commands;

/// <summary><c>hds sites status</c>: each S3 site's reachability, role, bucket settings and replication lag, measured.</summary>
internal static class SitesCommands
{
    public static Command Create() => new("sites", "The S3 sites (data centres) of the storage.")
    {
        CreateStatus(),
    };

    private static Command CreateStatus()
    {
        var probes = new Option<int>("--probes")
        {
            Description = "Probe objects to write (1 to 100): the lag percentiles need several. 0 measures reachability and bucket settings only, writing nothing.",
            HelpName = "count",
            DefaultValueFactory = _ => 1,
        };
        var timeout = new Option<double>("--probe-timeout")
        {
            Description = "Seconds to wait for a probe to appear, locked, on each other site before counting it as not replicated (default 30).",
            HelpName = "seconds",
            DefaultValueFactory = _ => 30,
        };
        var command = new Command("status",
            "Per site: reachable, role (master = holds the bucket metadata, secondary, backup = read-only), versioning and object lock as that site "
            + "sees them, and the replication lag measured with probe objects (32 random bytes under _hds/probe/, locked GOVERNANCE for a day) written "
            + "on the first writable site and awaited, with their lock, on the others: p50, p95 and max. Exit 0 when every site answers and sees every "
            + "probe locked; 7 when a site does not answer; 9 when a probe did not reach a site within --probe-timeout; 2 when a site's bucket lacks "
            + "versioning or object lock or a site served a probe without its lock.")
        {
            probes,
            timeout,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var count = parse.GetValue(probes);
            var seconds = parse.GetValue(timeout);
            if (count is < 0 or > 100)
            {
                throw new CliUsageException("--probes must be between 0 and 100.");
            }

            if (!double.IsFinite(seconds) || seconds <= 0 || seconds > 3600)
            {
                throw new CliUsageException("--probe-timeout must be a number of seconds between 0 and 3600.");
            }

            var options = cli.CreateStorageOptions();
            if (options.S3 is not { } s3)
            {
                throw new CliUsageException("hds sites status needs the S3 storage (--endpoint or --site, or HdsStorage:S3 in hds.json); the embedded store has no sites.");
            }

            var report = await new SiteStatusProbe(s3, TimeSpan.FromSeconds(seconds), TimeProvider.System).RunAsync(count, cancellationToken).ConfigureAwait(false);
            await cli.WriteAsync(report, CliReports.Sites, cancellationToken).ConfigureAwait(false);
            return await ExitAsync(report).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> ExitAsync(SitesStatusReport report)
    {
        var down = report.Sites.Where(s => !s.Reachable).Select(s => s.Name).ToList();
        var unlocked = report.Sites.Where(s => s.Reachable && (s.VersioningEnabled != true || s.ObjectLockEnabled != true || s.ProbesSeenWithoutLock > 0))
            .Select(s => s.Name).ToList();
        var lagging = report.Sites.Where(s => s.ProbesNotSeen > 0).Select(s => s.Name).ToList();
        if (unlocked.Count > 0)
        {
            await HdsCli.WriteErrorAsync(CliContext.Error, HdsErrorCode.Configuration,
                $"Site(s) {string.Join(", ", unlocked)}: the bucket lacks versioning or object lock there, or a probe was served without its lock. Do not serve health data from them until fixed.")
                .ConfigureAwait(false);
            return ExitCodes.Configuration;
        }

        if (down.Count > 0)
        {
            await HdsCli.WriteErrorAsync(CliContext.Error, HdsErrorCode.BackendUnavailable,
                $"Site(s) {string.Join(", ", down)} do not answer: the others serve the data; restart or repair them.").ConfigureAwait(false);
            return ExitCodes.BackendUnavailable;
        }

        if (lagging.Count > 0)
        {
            await HdsCli.WriteErrorAsync(CliContext.Error, HdsErrorCode.NotReplicated,
                $"Site(s) {string.Join(", ", lagging)} did not receive a probe within {report.ProbeTimeoutSeconds} s: replication is stopped or lagging there.").ConfigureAwait(false);
            return ExitCodes.NotReplicated;
        }

        return report.ProbeSite is null && report.Probes > 0 ? ExitCodes.BackendUnavailable : ExitCodes.Success;
    }
}
