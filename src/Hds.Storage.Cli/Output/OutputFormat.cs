namespace Hds.Storage.Cli.Output;

/// <summary>How <c>hds</c> prints its results on standard output.</summary>
internal enum OutputFormat
{
    /// <summary>JSON (JSON Lines for <c>audit tail</c>): the stable contract for scripts.</summary>
    Json,

    /// <summary>Tables and key-value grids for people; not a contract, may change between versions.</summary>
    Human,
}
