using System.CommandLine;
using Hds.Storage.Cli.Output;

namespace Hds.Storage.Cli;

// The global options (backend, certificates, access context, configuration file), accepted before or after the command.
internal sealed partial class CliContext
{
    public static readonly Option<string?> Local = new("--local")
    {
        Description = "Use the embedded local store in this directory (development and tests; not HDS-grade hosting).",
        HelpName = "dir",
        Recursive = true,
    };

    public static readonly Option<string[]> Endpoint = new("--endpoint")
    {
        Description = "S3 endpoint URL; repeat for several sites (preferred first, failover to the next). Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.",
        HelpName = "url",
        Recursive = true,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string[]> Site = new("--site")
    {
        Description = "A site of the S3 storage: name=url[,priority][,ro][,master] (lowest priority first; ro = read-only backup site; master = the site holding the bucket metadata, e.g. the RGW multisite master zone). Repeat for each site; not with --endpoint.",
        HelpName = "name=url[,priority][,ro][,master]",
        Recursive = true,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<double?> FailoverTimeout = new("--failover-timeout")
    {
        Description = "Seconds an operation keeps trying the sites when they fail before exiting 7 (backend unavailable). Default 30.",
        HelpName = "seconds",
        Recursive = true,
    };

    public static readonly Option<string?> Bucket = new("--bucket")
    {
        Description = "S3 bucket (versioning and object lock enabled).",
        HelpName = "name",
        Recursive = true,
    };

    public static readonly Option<string[]> Certificate = new("--cert")
    {
        Description = "Key-ring certificate file (PFX/P12 or PEM with its private key), repeatable. Required with --endpoint; the embedded store uses a development certificate when none is given. PFX password: HDS_CERT_PASSWORD.",
        HelpName = "path",
        Recursive = true,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string[]> EscrowCertificate = new("--escrow-cert")
    {
        Description = "Escrow (recovery) certificate file, public part only (PEM/CER), repeatable: every key-ring entry is also encrypted to it.",
        HelpName = "path",
        Recursive = true,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string?> AuditCertificate = new("--audit-cert")
    {
        Description = "Audit checkpoint signing certificate file (PFX/P12 or PEM with its private key). Required with --endpoint: every command writes audit records, "
            + "and their checkpoints are signed; the embedded store uses a development signer when none is given. PFX password: HDS_AUDIT_CERT_PASSWORD.",
        HelpName = "path",
        Recursive = true,
    };

    public static readonly Option<string[]> AuditTrust = new("--audit-trust")
    {
        Description = "Certificate file (PEM/CER) of a further trusted audit checkpoint signer, repeatable: for `hds audit verify` and `tail`, every writer's signer.",
        HelpName = "path",
        Recursive = true,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string?> Actor = new("--actor")
    {
        Description = "Access context: pseudonymous id of who acts (required by every command but config).",
        HelpName = "id",
        Recursive = true,
    };

    public static readonly Option<string?> Tenant = new("--tenant")
    {
        Description = "Access context: the scheme (tenant) whose objects are reached (required by every command but config).",
        HelpName = "id",
        Recursive = true,
    };

    public static readonly Option<string?> Purpose = new("--purpose")
    {
        Description = "Access context: purpose of use, for example care, claim-processing, audit, key-management, legal-hold, retention (required by every command but config).",
        HelpName = "purpose",
        Recursive = true,
    };

    public static readonly Option<string?> Patient = new("--patient")
    {
        Description = "Access context: pseudonym of the patient whose documents are reached (HdsOpaqueKeys or the scheme's own; never a name), recorded in the audit trail.",
        HelpName = "pseudonym",
        Recursive = true,
    };

    public static readonly Option<string[]> Role = new("--role")
    {
        Description = "Access context: a role the actor holds, repeatable (the first is recorded). The audit commands need auditor, the keys commands "
            + "key-admin (from the operating tenant, \"operator\" by default), legal-hold and retention extend need legal; see docs/security.md.",
        HelpName = "role",
        Recursive = true,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public static readonly Option<string?> Config = new("--config")
    {
        Description = "Configuration file: JSON with a section \"HdsStorage\" holding the library's options (S3, Local, Encryption, Audit, RetentionClasses…). "
            + "Default: ./hds.json when present. Environment variables override it (HdsStorage__S3__Bucket, or HDS_S3__BUCKET), flags override both.",
        HelpName = "file",
        Recursive = true,
    };

    public static void AddGlobalOptions(Command root)
    {
        foreach (var option in new Option[] { CliOutput.Option, CliLog.Verbose, Config, Local, Endpoint, Site, FailoverTimeout, Bucket, Certificate, EscrowCertificate, AuditCertificate, AuditTrust, Actor, Tenant, Purpose, Patient, Role })
        {
            root.Add(option);
        }
    }
}
