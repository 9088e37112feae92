namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>
/// A storage the CLI contract tests run against: the embedded local store or a real S3 server. Kept in this folder, independent of
/// the library's own S3 fixtures, so the CLI tests only need what an operator has: command-line options and environment variables.
/// </summary>
public interface ICliBackend : IAsyncLifetime
{
    /// <summary>The backend options to pass to every <c>hds</c> command (for example --local dir, or --endpoint url --bucket name).</summary>
    IReadOnlyList<string> BackendArgs { get; }

    /// <summary>Environment variables for every <c>hds</c> process (credentials).</summary>
    IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>Alters one stored byte of a version behind the SDK's back, as a faulty disk or a malicious administrator would.</summary>
    /// <returns>The version id that now holds the altered bytes.</returns>
    Task<string> TamperAsync(string tenant, string key, string versionId);
}
