using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Hds.Storage.Access;
using Hds.Storage.Backends.Local;
using Hds.Storage.Backends.S3;
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
        Description = "S3 endpoint URL; repeat for several sites (the first is used for now). Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.",
        HelpName = "url",
        Recursive = true,
        Arity = ArgumentArity.OneOrMore,
        AllowMultipleArgumentsPerToken = false,
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

    public static readonly Option<string?> Actor = new("--actor")
    {
        Description = "Access context: pseudonymous id of who acts (required for object commands).",
        HelpName = "id",
        Recursive = true,
    };

    public static readonly Option<string?> Tenant = new("--tenant")
    {
        Description = "Access context: the scheme (tenant) whose objects are reached (required for object commands).",
        HelpName = "id",
        Recursive = true,
    };

    public static readonly Option<string?> Purpose = new("--purpose")
    {
        Description = "Access context: purpose of use, for example care, claim-processing, audit (required for object commands).",
        HelpName = "purpose",
        Recursive = true,
    };

    public static readonly Option<string?> Role = new("--role")
    {
        Description = "Access context: the actor's role, for example operator (optional).",
        HelpName = "role",
        Recursive = true,
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
    }

    /// <summary>Where JSON results go.</summary>
    public static TextWriter Output => Console.Out;

    /// <summary>Where messages for humans go.</summary>
    public static TextWriter Error => Console.Error;

    /// <summary>The S3 endpoints given, in order; the first is used, the others are kept for site failover.</summary>
    public IReadOnlyList<Uri> Endpoints => ParseEndpoints(_parse.GetValue(Endpoint));

    /// <summary>The local store directory, when the embedded store is used (--local, else the configuration's Local.Path).</summary>
    public string? LocalPath => _parse.GetValue(Local) ?? (Endpoints.Count == 0 ? Configured.Options.Local?.Path : null);

    /// <summary>The options from the configuration file and the environment, before the flags.</summary>
    private (HdsStorageOptions Options, List<string> Sources) Configured => _configured ??= CliConfiguration.Load(_parse.GetValue(Config));

    public static void AddGlobalOptions(Command root)
    {
        foreach (var option in new Option[] { Config, Local, Endpoint, Bucket, Certificate, EscrowCertificate, Actor, Tenant, Purpose, Role })
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

        var endpoints = Endpoints;
        var local = _parse.GetValue(Local);
        if (local is not null && endpoints.Count > 0)
        {
            throw new CliUsageException("Choose one backend: --local <dir> or --endpoint <url> --bucket <name>, not both.");
        }

        if (local is not null)
        {
            if (string.IsNullOrWhiteSpace(local))
            {
                throw new CliUsageException("--local needs the directory of the embedded store.");
            }

            options.S3 = null;
            options.Local = new LocalStorageOptions { Path = local };
            return options;
        }

        if (endpoints.Count > 0)
        {
            options.Local = null;
            options.S3 ??= new S3StorageOptions();
            options.S3.ServiceUrl = endpoints[0];
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

        // Credentials: S3.AccessKey/SecretKey from the configuration, else the AWS SDK's default chain (AWS_ACCESS_KEY_ID /
        // AWS_SECRET_ACCESS_KEY first): never on the command line.
        return options;
    }

    public HdsStorageClient CreateClient(string? bucket = null) => new(CreateStorageOptions(bucket));

    /// <summary>
    /// The access context of an object command. A missing actor, tenant or purpose is refused like any anonymous access (exit 3);
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
                $"No access context: every object command must say who acts, for which tenant and why. Missing: {string.Join(", ", missing)}.");
        }

        var context = new HdsAccessContext(actor!, tenant!, purpose!) { Role = _parse.GetValue(Role), Application = ApplicationName };

        // The constructor validated before the initializer set the role: validate the whole context before any I/O.
        context.Validate();
        return context;
    }

    public T RequestOptions<T>()
        where T : HdsRequestOptions, new() => new() { Context = RequireAccess() };

    public static async Task WriteJsonAsync<T>(T value, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken)
    {
        await Output.WriteLineAsync(JsonSerializer.Serialize(value, typeInfo).AsMemory(), cancellationToken).ConfigureAwait(false);
        await Output.FlushAsync(cancellationToken).ConfigureAwait(false);
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
