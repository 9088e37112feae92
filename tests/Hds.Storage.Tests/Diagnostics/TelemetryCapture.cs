using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hds.Storage.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Hds.Storage.Tests.Diagnostics;

/// <summary>Telemetry tests listen to process-wide sources: they run alone, not in parallel with other tests.</summary>
[CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
public sealed class TelemetryCollection;

/// <summary>Everything Hds.Storage emits while it lives: activities, measurements and log lines.</summary>
internal sealed class TelemetryCapture : ILoggerFactory
{
    private readonly ActivityListener _activities;
    private readonly MeterListener _meters = new();

    public TelemetryCapture()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == HdsStorageTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = Activities.Enqueue,
        };
        ActivitySource.AddActivityListener(_activities);
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == HdsStorageTelemetry.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<double>((i, v, tags, _) => Measurements.Enqueue(new Measurement(i.Name, v, tags.ToArray())));
        _meters.SetMeasurementEventCallback<long>((i, v, tags, _) => Measurements.Enqueue(new Measurement(i.Name, v, tags.ToArray())));
        _meters.SetMeasurementEventCallback<int>((i, v, tags, _) => Measurements.Enqueue(new Measurement(i.Name, v, tags.ToArray())));
        _meters.Start();
    }

    public ConcurrentQueue<Activity> Activities { get; } = new();

    public ConcurrentQueue<Measurement> Measurements { get; } = new();

    public ConcurrentQueue<string> LogLines { get; } = new();

    public void RecordObservableInstruments() => _meters.RecordObservableInstruments();

    public IEnumerable<Measurement> Named(string name) => Measurements.Where(m => m.Instrument == name);

    /// <summary>Every string the telemetry carries: names, tags, status, log messages and their structured values.</summary>
    public IEnumerable<string> AllText() =>
        Activities.SelectMany(a => new[] { a.DisplayName, a.OperationName, a.StatusDescription ?? "" }
                .Concat(a.TagObjects.Select(t => t.Key + "=" + t.Value))
                .Concat(a.Events.Select(e => e.Name)))
            .Concat(Measurements.SelectMany(m => m.Tags.Select(t => t.Key + "=" + t.Value)))
            .Concat(LogLines);

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
        _activities.Dispose();
        _meters.Dispose();
    }

    internal sealed record Measurement(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)
    {
        public object? Tag(string name) => Tags.FirstOrDefault(t => t.Key == name).Value;
    }

    private sealed class Logger(TelemetryCapture owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(" ", pairs.Select(p => p.Key + "=" + p.Value)) : "";
            owner.LogLines.Enqueue($"{eventId.Id} {formatter(state, exception)} {values} {exception}");
        }
    }
}
