using System.CommandLine;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Audit.Search;
using Hds.Storage.Models;

namespace Hds.Storage.Cli.Audit;

/// <summary>
/// The filters of <c>hds audit search</c> (and the time range of report and export). The patient filter is the global <c>--patient</c>:
/// the search's own audit record then names the patient whose accesses were looked at.
/// </summary>
internal sealed class AuditSearchOptions
{
    public Option<string?> From { get; } = new("--from") { Description = "Records from this time on (ISO-8601; UTC without an offset). Older segments are not read.", HelpName = "ISO-8601" };

    public Option<string?> To { get; } = new("--to") { Description = "Records up to this time (ISO-8601; a date alone means the end of that day, UTC). Newer segments are not read.", HelpName = "ISO-8601" };

    public Option<string?> ByActor { get; } = new("--by-actor") { Description = "Records of this actor (pseudonymous id) only.", HelpName = "id" };

    public Option<string?> ForTenant { get; } = new("--for-tenant") { Description = "Records of this tenant only (default: the context's --tenant).", HelpName = "id" };

    public Option<bool> AllTenants { get; } = new("--all-tenants") { Description = "Records of every tenant (reading the trail is a bucket-wide right of the auditor)." };

    public Option<string?> ForPurpose { get; } = new("--for-purpose") { Description = "Records with this purpose of use only.", HelpName = "purpose" };

    public Option<HdsOperation?> Operation { get; } = new("--operation") { Description = "Records of this operation only (Put, Get, Delete…).", HelpName = "operation" };

    public Option<HdsAuditOutcome?> Outcome { get; } = new("--outcome") { Description = "Records with this outcome only (Succeeded, Denied, Failed…).", HelpName = "outcome" };

    public Option<string?> Key { get; } = new("--key") { Description = "Records of this object key only.", HelpName = "key" };

    public Option<string?> KeyPrefix { get; } = new("--key-prefix") { Description = "Records whose object key starts with this prefix only.", HelpName = "prefix" };

    public Option<string?> Version { get; } = new("--version-id") { Description = "Records of this version only.", HelpName = "id" };

    public void AddTo(Command command, bool filters)
    {
        command.Add(From);
        command.Add(To);
        if (!filters)
        {
            return;
        }

        foreach (var option in new Option[] { ByActor, ForTenant, AllTenants, ForPurpose, Operation, Outcome, Key, KeyPrefix, Version })
        {
            command.Add(option);
        }
    }

    public HdsAuditQuery Query(CliContext cli, ParseResult parse, bool filters)
    {
        var query = cli.RequestOptions<HdsAuditQuery>();
        query.From = AuditTimes.Parse(parse.GetValue(From), "--from", endOfDay: false);
        query.To = AuditTimes.Parse(parse.GetValue(To), "--to", endOfDay: true);
        query.Patient = query.Context!.PatientPseudonym;
        if (!filters)
        {
            return query;
        }

        query.Actor = parse.GetValue(ByActor);
        query.Tenant = parse.GetValue(AllTenants) ? null : parse.GetValue(ForTenant) ?? query.Context.Tenant;
        query.Purpose = parse.GetValue(ForPurpose);
        query.Operation = parse.GetValue(Operation);
        query.Outcome = parse.GetValue(Outcome);
        query.Key = parse.GetValue(Key);
        query.KeyPrefix = parse.GetValue(KeyPrefix);
        query.VersionId = parse.GetValue(Version);
        return query;
    }
}
