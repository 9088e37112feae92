using System.Collections.Concurrent;
using System.CommandLine;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.Cli;

/// <summary>
/// The library's log as the CLI sees it. Warnings are always kept, so that <c>hds bucket check</c> can print every warning the library
/// logged (development certificate, no escrow, development signer, not HDS-grade); with <c>--verbose</c> (<c>-v</c>) the whole log
/// (information and above) also goes to standard error, one line per message, while it happens.
/// </summary>
internal sealed class CliLog : ILoggerFactory
{
    public static readonly Option<bool> Verbose = new("--verbose", "-v")
    {
        Description = "Show the library's log on stderr: warnings (not HDS-grade, development certificate, no escrow, development signer), failovers, retries, audit records.",
        Recursive = true,
    };

    private readonly ConcurrentQueue<string> _warnings = new();
    private readonly bool _verbose;
    private readonly TextWriter _error;

    public CliLog(bool verbose, TextWriter error)
    {
        _verbose = verbose;
        _error = error;
    }

    /// <summary>Every distinct warning (or error) the library logged so far, in order.</summary>
    public IReadOnlyList<string> Warnings => [.. _warnings.Distinct(StringComparer.Ordinal)];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
        // The CLI's log has one destination (stderr); providers added by the library, if any, are not used.
    }

    public void Dispose()
    {
        // Nothing to release: lines are written as they come.
    }

    private static string Label(LogLevel level) => level switch
    {
        LogLevel.Critical => "crit",
        LogLevel.Error => "fail",
        LogLevel.Warning => "warn",
        LogLevel.Information => "info",
        LogLevel.Debug => "dbug",
        _ => "trce",
    };

    private sealed class Logger(CliLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && (logLevel >= LogLevel.Warning || (log._verbose && logLevel >= LogLevel.Information));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var message = formatter(state, exception).ReplaceLineEndings(" ");
            if (logLevel >= LogLevel.Warning)
            {
                log._warnings.Enqueue(message);
            }

            if (log._verbose)
            {
                // The exception's type and message only (no stack, no inner data): enough to tell a timeout from a refusal.
                var cause = exception is null ? string.Empty : $" ({exception.GetType().Name}: {exception.Message.ReplaceLineEndings(" ")})";
                lock (log._error)
                {
                    log._error.WriteLine($"{Label(logLevel)}: {category}[{eventId.Id}] {message}{cause}");
                }
            }
        }
    }
}
