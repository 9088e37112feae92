using System.CommandLine;
using Hds.Storage.Access;
using Hds.Storage.Backends.Local;
using Hds.Storage.Cli.Output;

namespace Hds.Storage.Cli;

/// <summary>
/// The global options (backend and access context) and their binding to the library's options: the only place the command line
/// becomes <see cref="HdsStorageOptions"/> and <see cref="HdsAccessContext"/>. Global options are accepted before or after the command.
/// </summary>
internal sealed partial class CliContext
{
    /// <summary>The application recorded in every access context built by the CLI.</summary>
    public const string ApplicationName = "hds-cli";

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

    public static CliContext From(ParseResult parse) => new(parse);

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
}
