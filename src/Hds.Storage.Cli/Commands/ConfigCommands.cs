using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hds.Storage.Cli.Output;

namespace Hds.Storage.Cli.Commands;

/// <summary><c>hds config show</c>: the effective configuration (file, environment, flags), secrets masked.</summary>
internal static class ConfigCommands
{
    /// <summary>What a secret that is set prints as.</summary>
    public const string Masked = "***";

    public static Command Create() => new("config", "Inspect the configuration: hds.json (or --config), then HdsStorage__*/HDS_* environment variables, then flags.")
    {
        CreateShow(),
    };

    private static Command CreateShow()
    {
        var command = new Command("show",
            "Print the effective configuration (section \"HdsStorage\", the library's schema) with secrets masked, the layers read, whether it is valid, its grade and the warnings the library would log. Exit 0 even when invalid; 2 when a configuration file cannot be read or a setting (file or environment) cannot be converted to its type.");
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var problems = new List<string>();
            HdsStorageOptions options;
            try
            {
                options = cli.CreateStorageOptions();
            }
            catch (CliUsageException ex)
            {
                // Nothing (or something unusable) configured: still show what the layers hold, and say what is missing.
                problems.Add(ex.Message);
                options = cli.ConfiguredOptions;
            }

            problems.AddRange(options.Problems().Where(p => problems.Count == 0 || !p.StartsWith("No storage backend", StringComparison.Ordinal)));
            var json = new JsonObject
            {
                ["sources"] = new JsonArray([.. cli.ConfigurationSources.Select(s => JsonValue.Create(s)), JsonValue.Create("flags")]),
                ["valid"] = problems.Count == 0,
                ["hdsGrade"] = options.Local is null && options.S3 is not null,
                ["grade"] = options.Local is not null ? BucketReport.EmbeddedStoreGrade : options.S3 is not null ? BucketReport.S3Grade : "no storage configured",
                ["problems"] = new JsonArray([.. problems.Select(p => JsonValue.Create(p))]),
                ["warnings"] = new JsonArray([.. Warnings(options).Select(w => JsonValue.Create(w))]),
                ["HdsStorage"] = Describe(options),
            };
            await cli.WriteAsync(json, CliReports.Configuration, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// The warnings the library would log when a client opens with these options (it logs them at start-up; <c>hds bucket check</c>
    /// prints the ones it actually logged), said here without opening anything, with the setting that removes each.
    /// </summary>
    internal static List<string> Warnings(HdsStorageOptions options)
    {
        var warnings = new List<string>();
        if (options.Local is null)
        {
            return warnings;
        }

        warnings.Add("The embedded local store is for development and tests: it is NOT HDS-grade hosting (single disk, no replication, no WORM hardware).");
        if (options.Local.FullPath is { Length: > 0 } directory && !File.Exists(Path.Combine(directory, Backends.Local.LocalBackend.ManifestFile)))
        {
            warnings.Add($"No embedded store at '{directory}' yet: commands will refuse it (exit 2) until 'hds bucket create --local {directory}' creates it.");
        }

        var encryption = options.Encryption;
        if (encryption.IsUnconfigured)
        {
            warnings.Add("No key-ring certificate: the store's DEVELOPMENT certificate encrypts (never use it for real health data). Give --cert and --escrow-cert, or HdsStorage:Encryption:CertificateFiles.");
        }

        if (encryption.KeyProvider is null && encryption.Certificates.Count + encryption.CertificateFiles.Count < 2)
        {
            warnings.Add("Only one key-ring certificate: there is no escrow, and losing its private key loses every object. Add --escrow-cert, or a second file in HdsStorage:Encryption:CertificateFiles.");
        }

        if (options.Audit.CheckpointCertificatePath is null && options.Audit.CheckpointCertificate is null)
        {
            warnings.Add("No audit checkpoint certificate: the store's development signer signs the checkpoints (anyone who can read the store can sign). Give --audit-cert, or HdsStorage:Audit:CheckpointCertificatePath.");
        }

        return warnings;
    }

    private static string? Mask(string? secret) => secret is null ? null : Masked;

    private static string Duration(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);

    private static JsonObject Describe(HdsStorageOptions options)
    {
        var retention = new JsonObject();
        foreach (var (name, cls) in options.RetentionClasses.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            retention[name] = new JsonObject { ["Mode"] = cls.Mode.ToString(), ["Duration"] = Duration(cls.Duration), ["LegalHold"] = cls.LegalHold };
        }

        var encryption = options.Encryption;
        var audit = options.Audit;
        return new JsonObject
        {
            ["S3"] = options.S3 is not { } s3 ? null : new JsonObject
            {
                ["ServiceUrl"] = s3.ServiceUrl?.ToString(),
                ["Bucket"] = s3.Bucket,
                ["AccessKey"] = Mask(s3.AccessKey),
                ["SecretKey"] = Mask(s3.SecretKey),
                ["Region"] = s3.Region,
                ["ForcePathStyle"] = s3.ForcePathStyle,
                ["MultipartThreshold"] = s3.MultipartThreshold,
                ["PartSize"] = s3.PartSize,
                ["RequestTimeout"] = Duration(s3.RequestTimeout),
            },
            ["Local"] = options.Local is not { } local ? null : new JsonObject { ["Path"] = local.Path },
            ["Encryption"] = new JsonObject
            {
                ["CertificateFiles"] = new JsonArray([.. encryption.CertificateFiles.Select(f => JsonValue.Create(f))]),
                ["CertificatePassword"] = Mask(encryption.CertificatePassword),
                ["KeyLifetime"] = Duration(encryption.KeyLifetime),
                ["SegmentSize"] = encryption.SegmentSize,
            },
            ["RetentionClasses"] = retention,
            ["DefaultRetentionClass"] = options.DefaultRetentionClass,
            ["Audit"] = new JsonObject
            {
                ["SpoolDirectory"] = audit.SpoolDirectory,
                ["BatchSize"] = audit.BatchSize,
                ["UploadInterval"] = Duration(audit.UploadInterval),
                ["CheckpointCertificatePath"] = audit.CheckpointCertificatePath,
                ["CheckpointCertificatePassword"] = Mask(audit.CheckpointCertificatePassword),
                ["TrustedCheckpointCertificateFiles"] = new JsonArray(audit.TrustedCheckpointCertificateFiles.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray()),
                ["CheckpointGracePeriod"] = Duration(audit.CheckpointGracePeriod),
                ["RetentionClass"] = audit.RetentionClass,
                ["FailOpen"] = audit.FailOpen,
            },
        };
    }
}
