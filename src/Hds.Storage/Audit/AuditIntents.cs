using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Hds.Storage.Audit;

/// <summary>
/// Writes announced in the spool before any byte is sent: <c>intents.jsonl</c> in the node's spool directory, one line per intent
/// (made durable, fsync, before the write starts) and one line when the write's own record is durable. An intent still open when
/// the spool is opened again belongs to a process that died in the middle of a write: the sink reconciles it with what the store
/// holds (the version carrying the intent id in its metadata, or none) and records the outcome, so no version exists without a record.
/// </summary>
internal sealed class AuditIntents : IDisposable
{
    private const string FileName = "intents.jsonl";
    private const long CompactThreshold = 1L << 20;
    private readonly object _gate = new();
    private readonly FileStream _file;
    private readonly Dictionary<string, AuditIntent> _open = new(StringComparer.Ordinal);
    private bool _disposed;

    private AuditIntents(FileStream file, IReadOnlyList<AuditIntent> leftover)
    {
        _file = file;
        Leftover = leftover;
    }

    /// <summary>The intents a previous process left open (it died during these writes), to reconcile.</summary>
    public IReadOnlyList<AuditIntent> Leftover { get; private set; }

    public static AuditIntents Open(string spoolDirectory)
    {
        var path = Path.Combine(spoolDirectory, FileName);
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, bufferSize: 0);
        try
        {
            var bytes = new byte[file.Length];
            file.ReadExactly(bytes);
            var open = new Dictionary<string, AuditIntent>(StringComparer.Ordinal);
            var end = bytes.AsSpan().LastIndexOf((byte)'\n') + 1; // a torn last line was never acknowledged: its write never started
            foreach (var line in Encoding.UTF8.GetString(bytes, 0, end).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var entry = JsonSerializer.Deserialize(line, AuditIntentJson.Default.AuditIntentLine)
                    ?? throw new HdsAuditException("The audit spool's intents file holds an empty line; it was altered on disk.");
                if (entry.Intent is { } intent)
                {
                    open[intent.Id] = intent;
                }
                else if (entry.Done is { } done)
                {
                    open.Remove(done);
                }
            }

            file.SetLength(end);
            file.Seek(0, SeekOrigin.End);
            return new AuditIntents(file, open.Values.OrderBy(i => i.Time).ToList());
        }
        catch (JsonException ex)
        {
            file.Dispose();
            throw new HdsAuditException("The audit spool's intents file is unreadable; it was altered on disk. Keep the directory for investigation.", ex);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Makes the intent durable; returns only once it is on disk.</summary>
    public void Announce(AuditIntent intent)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(new AuditIntentLine(intent, null), AuditIntentJson.Default.AuditIntentLine);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _file.Write(line);
            _file.WriteByte((byte)'\n');
            _file.Flush(flushToDisk: true);
            _open[intent.Id] = intent;
        }
    }

    /// <summary>The write's record is durable: the intent is closed (not fsync'd: reconciliation finds the record if this line is lost).</summary>
    public void Complete(string id)
    {
        var line = JsonSerializer.SerializeToUtf8Bytes(new AuditIntentLine(null, id), AuditIntentJson.Default.AuditIntentLine);
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _file.Write(line);
            _file.WriteByte((byte)'\n');
            _open.Remove(id);
            if (_open.Count == 0 && Leftover.Count == 0 && _file.Length > CompactThreshold)
            {
                _file.SetLength(0);
                _file.Flush(flushToDisk: true);
            }
        }
    }

    /// <summary>A leftover intent was reconciled (its outcome recorded durably).</summary>
    public void Reconciled(AuditIntent intent)
    {
        lock (_gate)
        {
            Leftover = Leftover.Where(i => i.Id != intent.Id).ToList();
        }

        Complete(intent.Id);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _file.Dispose();
        }
    }
}

/// <summary>One announced write: what its audit record would say, and where to look for the version it may have stored.</summary>
internal sealed record AuditIntent(
    string Id,
    DateTimeOffset Time,
    string PhysicalKey,
    string Key,
    string Tenant,
    string ActorId,
    string? ActorKind,
    string? Role,
    string? Purpose,
    string? PatientPseudonym,
    string? CorrelationId,
    string? Application,
    string? TraceId);

internal sealed record AuditIntentLine(AuditIntent? Intent, string? Done);

[JsonSerializable(typeof(AuditIntentLine))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class AuditIntentJson : JsonSerializerContext;
