namespace Hds.Storage.Cli;

/// <summary>A command line the CLI cannot act on (missing backend, unreadable input file, malformed date): exit code 1.</summary>
internal sealed class CliUsageException : Exception
{
    public CliUsageException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }

    public CliUsageException()
    {
    }

    public CliUsageException(string message)
        : base(message)
    {
    }
}
