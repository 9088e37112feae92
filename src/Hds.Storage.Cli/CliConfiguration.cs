using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Hds.Storage.Cli;

/// <summary>
/// The configuration layers of <c>hds</c>, with the library's schema (section "HdsStorage", the same as <c>AddHdsStorage(configuration)</c>):
/// a JSON file (<c>--config &lt;file&gt;</c>, else <c>./hds.json</c> when present), then environment variables (<c>HdsStorage__S3__Bucket</c>
/// or the short <c>HDS_S3__BUCKET</c>), then the command-line flags. Later layers win.
/// </summary>
internal static class CliConfiguration
{
    /// <summary>The file read from the current directory when no --config is given.</summary>
    public const string DefaultFileName = "hds.json";

    /// <summary>The prefix of the short environment variables (HDS_S3__BUCKET = HdsStorage__S3__Bucket).</summary>
    public const string EnvironmentPrefix = "HDS_";

    /// <summary>Binds the file and environment layers onto new options; returns them with the layers that contributed.</summary>
    public static (HdsStorageOptions Options, List<string> Sources) Load(string? configFile)
    {
        var options = new HdsStorageOptions();
        var sources = new List<string>();
        var file = configFile ?? (File.Exists(DefaultFileName) ? DefaultFileName : null);
        if (file is not null)
        {
            var path = Path.GetFullPath(file);
            if (!File.Exists(path))
            {
                throw new HdsConfigurationException($"The configuration file '{file}' does not exist: check --config (or remove it to use ./hds.json).");
            }

            IConfigurationRoot root;
            try
            {
                root = new ConfigurationBuilder().AddJsonFile(path, optional: false, reloadOnChange: false).Build();
            }
            catch (Exception ex) when (ex is FormatException or InvalidDataException or IOException)
            {
                // A configuration problem (exit 2), not a usage mistake: the command line was right, the file is not.
                throw new HdsConfigurationException($"The configuration file '{file}' is not valid JSON ({(ex.InnerException ?? ex).Message.ReplaceLineEndings(" ")}): fix it, or point --config at another file.", ex);
            }

            Bind(root.GetSection(HdsStorageServiceCollectionExtensions.DefaultSectionName), options, $"the configuration file '{file}'");

            // Paths in a file are relative to the file, wherever hds runs.
            var directory = Path.GetDirectoryName(path)!;
            if (options.Local is { Path.Length: > 0 } local)
            {
                local.Path = Path.GetFullPath(local.Path, directory);
            }

            var certificates = options.Encryption.CertificateFiles.Select(c => Path.GetFullPath(c, directory)).ToList();
            options.Encryption.CertificateFiles.Clear();
            foreach (var certificate in certificates)
            {
                options.Encryption.CertificateFiles.Add(certificate);
            }

            if (options.Audit.SpoolDirectory is { Length: > 0 } spool)
            {
                options.Audit.SpoolDirectory = Path.GetFullPath(spool, directory);
            }

            if (options.Audit.CheckpointCertificatePath is { Length: > 0 } checkpoint)
            {
                options.Audit.CheckpointCertificatePath = Path.GetFullPath(checkpoint, directory);
            }

            var trusted = options.Audit.TrustedCheckpointCertificateFiles.Select(f => Path.GetFullPath(f, directory)).ToList();
            options.Audit.TrustedCheckpointCertificateFiles.Clear();
            foreach (var trustedFile in trusted)
            {
                options.Audit.TrustedCheckpointCertificateFiles.Add(trustedFile);
            }

            sources.Add("file:" + path);
        }

        var environment = new ConfigurationBuilder().AddEnvironmentVariables().Build().GetSection(HdsStorageServiceCollectionExtensions.DefaultSectionName);
        if (environment.GetChildren().Any())
        {
            Bind(environment, options, "the HdsStorage__* environment variables");
            sources.Add("environment:HdsStorage__");
        }

        var shortEnvironment = new ConfigurationBuilder().AddEnvironmentVariables(EnvironmentPrefix).Build();
        if (shortEnvironment.GetChildren().Any())
        {
            Bind(shortEnvironment, options, "the HDS_* environment variables");
            sources.Add("environment:" + EnvironmentPrefix);
        }

        return (options, sources);
    }

    private static void Bind(IConfiguration section, HdsStorageOptions options, string source)
    {
        try
        {
            section.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            // A configuration problem (exit 2), like an unreadable file: the command line was right, the setting is not.
            throw new HdsConfigurationException($"Invalid setting in {source}: {ex.Message}", ex);
        }
    }
}
