using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Hds.Storage.Access;
using Hds.Storage.Backends.Local;
using Hds.Storage.Tests.TestSupport;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.Tests.Hygiene;

/// <summary>
/// Canaries: a patient name in content, keys, content types, version ids and contexts, a known KEK and the certificate's private
/// key, pushed through successful and failing operations (bad input, tampering, wrong tenant). Nothing observable — log messages
/// and their state, exception messages (whole chains), trace tags, metric tags, receipts — may contain any of them.
/// </summary>
public sealed class SecretsCanaryTests : IDisposable
{
    private const string Patient = "Jeanne-Canary-Dupont";
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task No_content_patient_name_key_material_or_private_key_appears_in_logs_traces_metrics_or_exceptions()
    {
        var kek = RandomNumberGenerator.GetBytes(32);
        var provider = new TestKeyProvider("canary-kek", kek);
        var sink = new ConcurrentQueue<string>();
        using var loggerFactory = new CapturingFactory(sink);
        using var activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name.StartsWith("Hds.Storage", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => sink.Enqueue(a.DisplayName + " " + string.Join(";", a.TagObjects.Select(t => t.Key + "=" + t.Value))),
        };
        ActivitySource.AddActivityListener(activities);
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name.StartsWith("Hds.Storage", StringComparison.Ordinal))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        meters.SetMeasurementEventCallback<long>((i, v, tags, _) => sink.Enqueue(i.Name + string.Join(";", tags.ToArray().Select(t => t.Key + "=" + t.Value))));
        meters.SetMeasurementEventCallback<double>((i, v, tags, _) => sink.Enqueue(i.Name + string.Join(";", tags.ToArray().Select(t => t.Key + "=" + t.Value))));
        meters.Start();

        var options = _store.Options();
        options.Encryption.KeyProvider = provider;
        await using var client = new HdsStorageClient(options, _store.Time, loggerFactory);
        var context = new HdsAccessContext("agent-1", "tenant-a", "care");
        var put = new HdsPutOptions { Context = context };
        var content = Encoding.UTF8.GetBytes("Nom: " + Patient + ", diagnostic: canary");

        var receipt = await client.PutAsync("doc", new MemoryStream(content), put, TestContext.Current.CancellationToken);
        sink.Enqueue(receipt.ToString());
        await using (var download = await client.GetAsync("doc", new HdsGetOptions { Context = context }, TestContext.Current.CancellationToken))
        {
            await download.Content.CopyToAsync(Stream.Null, TestContext.Current.CancellationToken);
        }

        await Capture(sink, () => client.PutAsync("patients/" + Patient + "\u0001", new MemoryStream(content), put));
        await Capture(sink, () => client.PutAsync("../" + Patient, new MemoryStream(content), put));
        await Capture(sink, () => client.PutAsync("x", new MemoryStream(content), new HdsPutOptions { Context = context, ContentType = "application/pdf; name=" + Patient }));
        await Capture(sink, () => client.PutAsync("x", new MemoryStream(content), new HdsPutOptions { Context = context, RetentionClass = Patient }));
        await Capture(sink, () => client.GetAsync("doc", new HdsGetOptions { Context = context, VersionId = Patient + "\n" }));
        await Capture(sink, () => client.GetAsync("doc", new HdsGetOptions { Context = context with { Tenant = Patient } }));
        // Context fields (actor, purpose, correlation id...) are recorded as given, by design (the audit trail needs them):
        // their syntax is validated, their pseudonymity is the caller's contract (docs/security.md, residual risks).
        await Capture(sink, () => client.GetAsync(Patient, new HdsGetOptions { Context = context }));

        // The identity's roles and allowed purposes, and the arguments a policy sees (retain-until, legal-hold state, version id).
        await Capture(sink, () => client.GetAsync("doc", new HdsGetOptions { Context = context with { Roles = ["agent", "Jeanne " + Patient] } }));
        await Capture(sink, () => client.GetAsync("doc", new HdsGetOptions { Context = context with { AllowedPurposes = ["care", Patient + "\n"] } }));
        await Capture(sink, () => client.GetRecentAuditRecordsAsync(5, new HdsRequestOptions { Context = context with { Purpose = "audit", Roles = ["agent"] } }));
        await Capture(sink, () => client.SetLegalHoldAsync("doc", false, new HdsVersionOptions { VersionId = Patient + " v", Context = context with { Purpose = "legal-hold", Role = "legal" } }));
        await Capture(sink, () => client.SetLegalHoldAsync("doc", false, new HdsVersionOptions { VersionId = Patient, Context = context }));
        await Capture(sink, () => client.ExtendRetentionAsync("doc", DateTimeOffset.MaxValue, new HdsVersionOptions { VersionId = Patient, Context = context with { Purpose = "retention", Role = "legal" } }));
        await Capture(sink, () => client.ListAsync(Patient + "\u0000", new HdsListOptions { Context = context }).ToListAsync().AsTask());

        // Tampered content: the integrity failure must not quote what it read.
        var file = _store.DataFile("tenant-a/doc");
        var bytes = await File.ReadAllBytesAsync(file, TestContext.Current.CancellationToken);
        bytes[^20] ^= 1;
        await File.WriteAllBytesAsync(file, bytes, TestContext.Current.CancellationToken);
        await Capture(sink, async () =>
        {
            await using var download = await client.GetAsync("doc", new HdsGetOptions { Context = context });
            await download.Content.CopyToAsync(Stream.Null);
        });

        var observed = string.Join("\n", sink);
        Assert.NotEmpty(observed);
        Assert.DoesNotContain(Patient, observed, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToHexString(kek), observed, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String(kek), observed, StringComparison.Ordinal);
        using var rsa = TestCertificates.Operational.GetRSAPrivateKey()!;
        var privateKey = rsa.ExportPkcs8PrivateKeyPem().Split('\n')[2];
        Assert.DoesNotContain(privateKey, observed, StringComparison.Ordinal);
        Assert.DoesNotContain("diagnostic: canary", observed, StringComparison.Ordinal);
    }

    private static async Task Capture(ConcurrentQueue<string> sink, Func<Task> action)
    {
        try
        {
            await action();
            sink.Enqueue("no error");
        }
        catch (Exception ex)
        {
            for (var e = ex; e is not null; e = e.InnerException)
            {
                sink.Enqueue(e.GetType().Name + ": " + e.Message);
            }
        }
    }

    private sealed class CapturingFactory(ConcurrentQueue<string> sink) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new Logger(sink);

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<string> sink) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                sink.Enqueue(formatter(state, exception));
                if (state is IEnumerable<KeyValuePair<string, object?>> values)
                {
                    sink.Enqueue(string.Join(";", values.Select(v => v.Key + "=" + v.Value)));
                }

                for (var e = exception; e is not null; e = e.InnerException)
                {
                    sink.Enqueue(e.Message);
                }
            }
        }
    }
}
