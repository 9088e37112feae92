using System.CommandLine;
using Hds.Storage.Access;
using Hds.Storage.Backends.Local;
using Hds.Storage.Backends.S3;
using Hds.Storage.Cli.Output;
using Hds.Storage.Retention;

namespace Hds.Storage.Cli;

/// <summary>
/// The global options (backend and access context) and their binding to the library's options: the only place the command line
/// becomes <see cref="HdsStorageOptions"/> and <see cref="HdsAccessContext"/>. Global options are accepted before or after the command.
/// </summary>
internal sealed class CliContext
{
    /// <summary>The name of the short retention class offered for trials and tests.</summary>
    public const string ShortRetentionClassName = "short";

    /// <summary>The application recorded in every access context built by the CLI.</summary>
    public const string ApplicationName = "hds-cli";

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

    private readonly ParseResult _parse;
    private (HdsStorageOptions Options, List<string> Sources)? _configured;

    private CliContext(ParseResult parse)
    {
        _parse = parse;
        Log = new CliLog(parse.GetValue(CliLog.Verbose), Error);
    }

    /// <summary>The library's log: warnings kept for the reports, everything on stderr with --verbose.</summary>
    public CliLog Log { get; }

    /// <summary>Where results go (JSON or human, <see cref="CliOutput"/> decides).</summary>
    public static TextWriter Output => Console.Out;

    /// <summary>Where messages for humans go.</summary>
    public static TextWriter Error => Console.Error;

    /// <summary>The S3 endpoints given with --endpoint, in order of preference.</summary>
    public IReadOnlyList<Uri> Endpoints => ParseEndpoints(_parse.GetValue(Endpoint));

    /// <summary>The sites: from --site, or one per --endpoint (named site1, site2… in order of preference).</summary>
    public IReadOnlyList<SiteOptions> Sites
    {
        get
        {
            var sites = ParseSites(_parse.GetValue(Site));
            var endpoints = Endpoints;
            if (sites.Count > 0 && endpoints.Count > 0)
            {
                throw new CliUsageException("Give the S3 sites either with --endpoint <url> or with --site name=url[,priority][,ro], not both.");
            }

            return sites.Count > 0 ? sites : endpoints.Select((url, i) => new SiteOptions { Name = $"site{i + 1}", ServiceUrl = url, Priority = i }).ToList();
        }
    }

    /// <summary>The local store directory, when the embedded store is used (--local, else the configuration's Local.Path).</summary>
    public string? LocalPath => _parse.GetValue(Local) is { Length: > 0 } local ? Path.GetFullPath(local)
        : Sites.Count == 0 && Configured.Options.Local is { } configured ? configured.FullPath : null;

    /// <summary>The options from the configuration file and the environment, before the flags.</summary>
    private (HdsStorageOptions Options, List<string> Sources) Configured => _configured ??= CliConfiguration.Load(_parse.GetValue(Config));

    public static void AddGlobalOptions(Command root)
    {
        foreach (var option in new Option[] { CliOutput.Option, CliLog.Verbose, Config, Local, Endpoint, Site, FailoverTimeout, Bucket, Certificate, EscrowCertificate, AuditCertificate, AuditTrust, Actor, Tenant, Purpose, Patient, Role })
        {
            root.Add(option);
        }
    }

    public static CliContext From(ParseResult parse) => new(parse);

    /// <summary>The retention classes offered by the CLI: "default" (20 years COMPLIANCE, the library's default) and "short" (1 day COMPLIANCE), unless configured otherwise.</summary>
    public static void AddRetentionClasses(HdsStorageOptions options) =>
        options.RetentionClasses.TryAdd(ShortRetentionClassName, new RetentionClass { Mode = RetentionMode.Compliance, Duration = TimeSpan.FromDays(1) });

    /// <summary>The configuration layers that contributed (file, environment), for <c>hds config show</c>.</summary>
    public IReadOnlyList<string> ConfigurationSources => Configured.Sources;

    /// <summary>The options of the configuration layers alone (file and environment), without the flags.</summary>
    public HdsStorageOptions ConfiguredOptions => Configured.Options;

    /// <summary>
    /// Builds the library options: the configuration file, then the environment, then the flags (flags win). Not validated here:
    /// the client validates them all at once.
    /// </summary>
    /// <param name="bucket">The bucket to use instead of --bucket (hds bucket create).</param>
    public HdsStorageOptions CreateStorageOptions(string? bucket = null)
    {
        // A fresh copy of the configured layers per call: the flags below must not accumulate.
        var (options, _) = CliConfiguration.Load(_parse.GetValue(Config));
        AddRetentionClasses(options);
        var certificates = (_parse.GetValue(Certificate) ?? []).Concat(_parse.GetValue(EscrowCertificate) ?? []).ToList();
        if (certificates.Count > 0)
        {
            options.Encryption.CertificateFiles.Clear();
            foreach (var path in certificates)
            {
                options.Encryption.CertificateFiles.Add(Path.GetFullPath(path));
            }
        }

        if (Environment.GetEnvironmentVariable("HDS_CERT_PASSWORD") is { } password)
        {
            options.Encryption.CertificatePassword = password;
        }

        if (_parse.GetValue(AuditCertificate) is { Length: > 0 } auditCertificate)
        {
            options.Audit.CheckpointCertificatePath = Path.GetFullPath(auditCertificate);
        }

        if (Environment.GetEnvironmentVariable("HDS_AUDIT_CERT_PASSWORD") is { } auditPassword)
        {
            options.Audit.CheckpointCertificatePassword = auditPassword;
        }

        foreach (var trusted in _parse.GetValue(AuditTrust) ?? [])
        {
            options.Audit.TrustedCheckpointCertificateFiles.Add(Path.GetFullPath(trusted));
        }

        var sites = Sites;
        var local = _parse.GetValue(Local);
        if (local is not null && sites.Count > 0)
        {
            throw new CliUsageException("Choose one backend: --local <dir> or --endpoint/--site with --bucket <name>, not both.");
        }

        if (local is not null)
        {
            if (string.IsNullOrWhiteSpace(local))
            {
                throw new CliUsageException("--local needs the directory of the embedded store.");
            }

            if (File.Exists(local))
            {
                throw new HdsConfigurationException("--local names a file: give the directory of the embedded store (create one with 'hds bucket create --local <dir>').");
            }

            // Relative to where hds runs, as any path on a command line (the library puts a relative Local.Path under the user's data folder).
            options.S3 = null;
            options.Local = new LocalStorageOptions { Path = Path.GetFullPath(local) };
            return options;
        }

        if (sites.Count > 0)
        {
            // Sites on the command line replace the configured endpoint(s).
            options.Local = null;
            options.S3 ??= new S3StorageOptions();
            options.S3.ServiceUrl = null;
            options.S3.Sites.Clear();
            if (sites.Count == 1 && !sites[0].ReadOnly)
            {
                options.S3.ServiceUrl = sites[0].ServiceUrl; // one site: no failover, no probe
            }
            else
            {
                foreach (var site in sites)
                {
                    options.S3.Sites.Add(site);
                }
            }
        }

        if (options.Local is not null && options.S3 is not null)
        {
            throw new CliUsageException("The configuration sets two backends (HdsStorage:S3 and HdsStorage:Local): keep one, or choose with --local / --endpoint.");
        }

        if (options.Local is not null)
        {
            return options;
        }

        if (options.S3 is null)
        {
            throw new CliUsageException("No backend: pass --local <dir> (embedded store) or --endpoint <url> --bucket <name> (S3), or configure HdsStorage:S3 / HdsStorage:Local in hds.json.");
        }

        bucket ??= _parse.GetValue(Bucket);
        if (!string.IsNullOrWhiteSpace(bucket))
        {
            options.S3.Bucket = bucket;
        }

        if (string.IsNullOrWhiteSpace(options.S3.Bucket))
        {
            throw new CliUsageException("--endpoint needs --bucket <name> (or HdsStorage:S3:Bucket in the configuration).");
        }

        if (_parse.GetValue(FailoverTimeout) is { } seconds)
        {
            if (!double.IsFinite(seconds) || seconds <= 0 || seconds > 3600)
            {
                throw new CliUsageException("--failover-timeout must be a number of seconds between 0 and 3600.");
            }

            options.S3.FailoverTimeout = TimeSpan.FromSeconds(seconds);
        }

        // A command lives seconds: the background lag monitor of a shared configuration would only write a probe per command
        // (hds sites status measures the lag on demand).
        options.S3.ReplicationLagProbeInterval = TimeSpan.Zero;

        // Credentials: S3.AccessKey/SecretKey from the configuration, else the AWS SDK's default chain (AWS_ACCESS_KEY_ID /
        // AWS_SECRET_ACCESS_KEY first): never on the command line.
        return options;
    }

    /// <summary>
    /// The client of a command. An embedded store must exist (made by <c>hds bucket create --local DIR</c>): a read-only command given a
    /// mistyped directory must not answer "nothing there" from a store it has just created, nor leave a tree behind.
    /// </summary>
    /// <param name="bucket">The bucket to use instead of --bucket (hds bucket create).</param>
    /// <param name="createStore">Whether a missing embedded store is created (hds bucket create only).</param>
    public HdsStorageClient CreateClient(string? bucket = null, bool createStore = false)
    {
        var options = CreateStorageOptions(bucket);
        if (options.Local is { } local && !createStore)
        {
            RequireStore(local.FullPath);
        }

        return new HdsStorageClient(options, TimeProvider.System, Log);
    }

    /// <summary>Refuses (exit 2, before anything is written) a directory that does not hold an embedded store.</summary>
    public static void RequireStore(string directory)
    {
        if (!File.Exists(Path.Combine(directory, LocalBackend.ManifestFile)))
        {
            throw new HdsConfigurationException(Directory.Exists(directory)
                ? $"'{directory}' is not an embedded store (no {LocalBackend.ManifestFile}): check the --local path (or HdsStorage:Local:Path), or create a store there with 'hds bucket create --local {directory}'."
                : $"No embedded store at '{directory}': check the --local path (or HdsStorage:Local:Path) for a typo, or create the store with 'hds bucket create --local {directory}'.");
        }
    }

    /// <summary>
    /// The access context of a command that reaches the store. A missing actor, tenant or purpose is refused like any anonymous access (exit 3);
    /// a malformed one is an invalid request (exit 1).
    /// </summary>
    public HdsAccessContext RequireAccess()
    {
        var actor = _parse.GetValue(Actor);
        var tenant = _parse.GetValue(Tenant);
        var purpose = _parse.GetValue(Purpose);
        var missing = new List<string>();
        if (string.IsNullOrEmpty(actor))
        {
            missing.Add("--actor");
        }

        if (string.IsNullOrEmpty(tenant))
        {
            missing.Add("--tenant");
        }

        if (string.IsNullOrEmpty(purpose))
        {
            missing.Add("--purpose");
        }

        if (missing.Count > 0)
        {
            throw new HdsAccessDeniedException(
                $"No access context: every command that reaches the store must say who acts, for which tenant and why. Missing: {string.Join(", ", missing)}.");
        }

        // The operator's flags are the identity here: whoever runs the CLI holds the storage credentials, so the roles given are
        // the roles held (the library's policy still decides each operation on them).
        var roles = _parse.GetValue(Role) ?? [];
        var patient = _parse.GetValue(Patient);
        if (patient is not null)
        {
            HdsPseudonyms.ValidatePatientPseudonym(patient, "--patient");
        }

        var context = new HdsAccessContext(actor!, tenant!, purpose!)
        {
            Role = roles.Length > 0 ? roles[0] : null, Roles = roles, Application = ApplicationName, PatientPseudonym = patient,
        };

        // The constructor validated before the initializer set the roles: validate the whole context before any I/O.
        context.Validate();
        return context;
    }

    public T RequestOptions<T>()
        where T : HdsRequestOptions, new() => new() { Context = RequireAccess() };

    /// <summary>Prints a result on standard output in the form the command line asks for (JSON or human).</summary>
    public Task WriteAsync<T>(T value, CliReport<T> report, CancellationToken cancellationToken) =>
        CliOutput.WriteAsync(_parse, value, report, cancellationToken);

    // name=url[,priority][,ro][,master]
    private static List<SiteOptions> ParseSites(string[]? values)
    {
        var sites = new List<SiteOptions>();
        foreach (var value in values ?? [])
        {
            var eq = value.IndexOf('=', StringComparison.Ordinal);
            var parts = eq > 0 ? value[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries) : [];
            if (eq <= 0 || parts.Length is < 1 or > 4
                || !Uri.TryCreate(parts[0], UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                throw new CliUsageException($"--site must be name=url[,priority][,ro][,master] with an absolute http(s) URL, got '{value}'.");
            }

            var site = new SiteOptions { Name = value[..eq].Trim(), ServiceUrl = url, Priority = sites.Count };
            foreach (var extra in parts.Skip(1))
            {
                if (string.Equals(extra, "ro", StringComparison.OrdinalIgnoreCase))
                {
                    site.ReadOnly = true;
                }
                else if (string.Equals(extra, "master", StringComparison.OrdinalIgnoreCase))
                {
                    site.MetadataMaster = true;
                }
                else if (int.TryParse(extra, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var priority))
                {
                    site.Priority = priority;
                }
                else
                {
                    throw new CliUsageException($"--site '{value}': after the URL come an integer priority, 'ro' and/or 'master', got '{extra}'.");
                }
            }

            sites.Add(site);
        }

        return sites;
    }

    private static List<Uri> ParseEndpoints(string[]? values)
    {
        var endpoints = new List<Uri>();
        foreach (var value in values ?? [])
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new CliUsageException($"--endpoint must be an absolute http(s) URL, got '{value}'.");
            }

            endpoints.Add(uri);
        }

        return endpoints;
    }
}
