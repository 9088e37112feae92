using System.Net;
using System.Net.Sockets;
using Hds.Storage.Access;
using Hds.Storage.Backends.S3;
using Hds.Storage.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.IntegrationTests.Sites;

/// <summary>One unreachable site is said once per operation, not once per retry (82 warnings were seen for one call).</summary>
public sealed class SiteLoggingTests
{
    [Fact]
    public async Task An_unreachable_single_site_is_warned_about_once_per_operation_and_the_call_fails_typed()
    {
        // A port nothing listens on: every connection is refused at once, so the router retries many times within the timeout.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var logs = new EventsLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var options = new HdsStorageOptions
        {
            S3 = new HdsS3StorageOptions
            {
                ServiceUrl = new Uri($"http://127.0.0.1:{port}"),
                Bucket = "hds-unreachable",
                AccessKey = "x",
                SecretKey = "y",
                FailoverTimeout = TimeSpan.FromSeconds(3),
            },
        };
        TestCertificates.Apply(options);
        await using var client = new HdsStorageClient(options, TimeProvider.System, factory);
        await Assert.ThrowsAsync<HdsBackendUnavailableException>(() =>
            client.CheckBucketAsync(new HdsRequestOptions { Context = new HdsAccessContext("op-1", "msa", "audit") }, TestContext.Current.CancellationToken));

        var warnings = logs.Events.Count(e => e.Id == 200);
        var repeats = logs.Events.Count(e => e.Id == 212 && e.Level == LogLevel.Debug);
        Assert.Equal(1, warnings);
        Assert.True(repeats >= 3, $"{repeats} repeated failures logged at debug level: the router did retry");
    }

    private sealed class EventsLoggerProvider : ILoggerProvider
    {
        public List<(int Id, LogLevel Level)> Events { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(EventsLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner.Events)
                {
                    owner.Events.Add((eventId.Id, logLevel));
                }
            }
        }
    }
}
