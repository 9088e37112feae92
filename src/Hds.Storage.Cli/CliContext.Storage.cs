using Hds.Storage.Backends.Local;
using Hds.Storage.Backends.S3;
using Hds.Storage.Retention;
using Hds.Storage.Models;

namespace Hds.Storage.Cli;

// The library options a command runs with: the configuration file, then the environment, then the flags (backend, sites, certificates).
internal sealed partial class CliContext
{
    /// <summary>The name of the short retention class offered for trials and tests.</summary>
    public const string ShortRetentionClassName = "short";

    /// <summary>The S3 endpoints given with --endpoint, in order of preference.</summary>
    public IReadOnlyList<Uri> Endpoints => ParseEndpoints(_parse.GetValue(Endpoint));

    /// <summary>The sites: from --site, or one per --endpoint (named site1, site2… in order of preference).</summary>
    public IReadOnlyList<HdsSiteOptions> Sites
    {
        get
        {
            var sites = ParseSites(_parse.GetValue(Site));
            var endpoints = Endpoints;
            if (sites.Count > 0 && endpoints.Count > 0)
            {
                throw new CliUsageException("Give the S3 sites either with --endpoint <url> or with --site name=url[,priority][,ro], not both.");
            }

            return sites.Count > 0 ? sites : endpoints.Select((url, i) => new HdsSiteOptions { Name = $"site{i + 1}", ServiceUrl = url, Priority = i }).ToList();
        }
    }

    /// <summary>The local store directory, when the embedded store is used (--local, else the configuration's Local.Path).</summary>
    public string? LocalPath => _parse.GetValue(Local) is { Length: > 0 } local ? Path.GetFullPath(local)
        : Sites.Count == 0 && Configured.Options.Local is { } configured ? configured.FullPath : null;

    /// <summary>The options from the configuration file and the environment, before the flags.</summary>
    private (HdsStorageOptions Options, List<string> Sources) Configured => _configured ??= CliConfiguration.Load(_parse.GetValue(Config));

    /// <summary>The retention classes offered by the CLI: "default" (20 years COMPLIANCE, the library's default) and "short" (1 day COMPLIANCE), unless configured otherwise.</summary>
    public static void AddRetentionClasses(HdsStorageOptions options) =>
        options.RetentionClasses.TryAdd(ShortRetentionClassName, new HdsRetentionClass { Mode = HdsRetentionMode.Compliance, Duration = TimeSpan.FromDays(1) });

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
            options.Local = new HdsLocalStorageOptions { Path = Path.GetFullPath(local) };
            return options;
        }

        if (sites.Count > 0)
        {
            // Sites on the command line replace the configured endpoint(s).
            options.Local = null;
            options.S3 ??= new HdsS3StorageOptions();
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

    // name=url[,priority][,ro][,master]
    private static List<HdsSiteOptions> ParseSites(string[]? values)
    {
        var sites = new List<HdsSiteOptions>();
        foreach (var value in values ?? [])
        {
            var eq = value.IndexOf('=', StringComparison.Ordinal);
            var parts = eq > 0 ? value[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries) : [];
            if (eq <= 0 || parts.Length is < 1 or > 4
                || !Uri.TryCreate(parts[0], UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                throw new CliUsageException($"--site must be name=url[,priority][,ro][,master] with an absolute http(s) URL, got '{value}'.");
            }

            var site = new HdsSiteOptions { Name = value[..eq].Trim(), ServiceUrl = url, Priority = sites.Count };
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
