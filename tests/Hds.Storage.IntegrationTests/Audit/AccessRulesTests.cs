using System.Text;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends.Local;
using Microsoft.Extensions.Logging;
using Hds.Storage.Models;

namespace Hds.Storage.IntegrationTests.Audit;

/// <summary>No context, wrong purpose, other tenant: every operation is refused or isolated, before any I/O, and recorded.</summary>
public sealed class AccessRulesTests : IAsyncLifetime
{
    private static readonly HdsAccessContext Alice = new("agent-4711", "msa", "claim-processing");
    private static readonly HdsAccessContext Auditor = new("auditor-7", "msa", "audit") { Role = "auditor" };
    private const string SomeKeyId = "20260101T000000Z-0123456789ab";
    private readonly string _store = Path.Combine(Path.GetTempPath(), "hds-access-" + Guid.NewGuid().ToString("N"));
    private readonly CapturingLoggerProvider _logs = new();
    private HdsStorageClient? _client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private HdsStorageClient Client => _client!;

    public ValueTask InitializeAsync()
    {
        var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = _store } };
        options.Authorization.DefaultAllowedPurposes = new HashSet<string>(StringComparer.Ordinal) { "claim-processing", "care" };
        _client = new HdsStorageClient(options, TimeProvider.System, LoggerFactory.Create(b => b.AddProvider(_logs).SetMinimumLevel(LogLevel.Trace)));
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        Directory.Delete(_store, recursive: true);
    }

    private static IEnumerable<(HdsOperation Op, Func<HdsStorageClient, HdsAccessContext?, Task> Call)> EveryOperation()
    {
        // A version options is a request options: the same helper serves the verbs that name a version.
        HdsVersionOptions? O(HdsAccessContext? c) => c is null ? null : new HdsVersionOptions { Context = c };
        yield return (HdsOperation.CheckBucket, (cl, c) => cl.CheckBucketAsync(O(c), Ct));
        yield return (HdsOperation.Put, (cl, c) => cl.PutAsync("k", new MemoryStream([1]), new HdsPutOptions { Context = c }, Ct));
        yield return (HdsOperation.Get, (cl, c) => cl.GetAsync("k", new HdsGetOptions { Context = c }, Ct));
        yield return (HdsOperation.Verify, (cl, c) => cl.VerifyAsync("k", new HdsVerifyOptions { Context = c }, Ct));
        yield return (HdsOperation.GetProperties, (cl, c) => cl.GetPropertiesAsync("k", O(c), Ct));
        yield return (HdsOperation.List, (cl, c) => cl.ListAsync(null, new HdsListOptions { Context = c }, Ct).ToListAsync(Ct).AsTask());
        yield return (HdsOperation.GetVersions, (cl, c) => cl.GetVersionsAsync("k", O(c), Ct).ToListAsync(Ct).AsTask());
        yield return (HdsOperation.Delete, (cl, c) => cl.DeleteAsync("k", O(c), Ct));
        yield return (HdsOperation.SetLegalHold, (cl, c) => cl.SetLegalHoldAsync("k", true, O(c), Ct));
        yield return (HdsOperation.ExtendRetention, (cl, c) => cl.ExtendRetentionAsync("k", DateTimeOffset.UtcNow.AddYears(30), O(c), Ct));
        yield return (HdsOperation.VerifyAudit, (cl, c) => cl.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = c }, Ct));
        yield return (HdsOperation.ReadAudit, (cl, c) => cl.GetRecentAuditRecordsAsync(5, O(c), Ct));
        yield return (HdsOperation.ListKeys, (cl, c) => cl.ListKeysAsync(O(c), Ct));
        yield return (HdsOperation.RotateKey, (cl, c) => cl.RotateKeyAsync(O(c), Ct));
        yield return (HdsOperation.RevokeKey, (cl, c) => cl.RevokeKeyAsync(SomeKeyId, O(c), Ct));
        yield return (HdsOperation.RewrapKeys, (cl, c) => cl.RewrapKeysAsync(O(c), Ct));
    }

    [Fact]
    public async Task Every_operation_without_context_is_refused_before_any_io_and_recorded()
    {
        foreach (var (op, call) in EveryOperation())
        {
            var error = await Assert.ThrowsAsync<HdsAccessDeniedException>(() => call(Client, null));
            Assert.Contains("No access context", error.Message, StringComparison.Ordinal);
        }

        // No store I/O happened: the embedded store was never even initialised (only the audit spool exists).
        Assert.False(File.Exists(Path.Combine(_store, "hds-store.json")));
        var records = await Client.GetRecentAuditRecordsAsync(100, new HdsRequestOptions { Context = Auditor }, Ct);
        _ = records; // refusals have no tenant: read them from the spool below
        var spooled = ((Client.AuditNode is { } node) ? File.ReadAllLines(Directory.GetFiles(Path.Combine(_store, "audit-spool", node), "spool.jsonl")[0]) : [])
            .Select(l => AuditRecordCodec.TryParse(Encoding.UTF8.GetBytes(l), out _)!).ToList();
        foreach (var (op, _) in EveryOperation())
        {
            Assert.Contains(spooled, r => r.Operation == op && r.Outcome == HdsAuditOutcome.Denied && r.Reason == "no-context" && r.ActorId is null);
        }

        // The key a refused revocation named is recorded (a key id, not key material).
        Assert.Contains(spooled, r => r.Operation == HdsOperation.RevokeKey && r.KeyId == SomeKeyId);
    }

    [Fact]
    public async Task Every_operation_with_a_purpose_not_allowed_is_denied_and_recorded()
    {
        var marketing = new HdsAccessContext("agent-4711", "msa", "marketing");
        foreach (var (op, call) in EveryOperation())
        {
            var error = await Assert.ThrowsAsync<HdsAccessDeniedException>(() => call(Client, marketing));
            Assert.Contains("purpose-not-allowed", error.Message, StringComparison.Ordinal);
        }

        var records = await Client.GetRecentAuditRecordsAsync(100, new HdsRequestOptions { Context = Auditor }, Ct);
        foreach (var (op, _) in EveryOperation())
        {
            Assert.Contains(records, r => r.Operation == op && r.Outcome == HdsAuditOutcome.Denied && r.Reason == "purpose-not-allowed" && r.Purpose == "marketing");
        }
    }

    [Fact]
    public async Task Another_tenant_never_reaches_an_object_whatever_the_operation()
    {
        var receipt = await Client.PutAsync("k", new MemoryStream([1, 2]), new HdsPutOptions { Context = Alice }, Ct);
        var sncf = new HdsAccessContext("agent-0042", "sncf", "claim-processing");
        var o = new HdsRequestOptions { Context = sncf };
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => Client.GetAsync("k", new HdsGetOptions { Context = sncf, VersionId = receipt.VersionId }, Ct));
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => Client.VerifyAsync("k", new HdsVerifyOptions { Context = sncf }, Ct));
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => Client.GetPropertiesAsync("k", new HdsVersionOptions { VersionId = receipt.VersionId, Context = o.Context }, Ct));
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => Client.DeleteAsync("k", o, Ct));
        var sncfLegal = new HdsAccessContext("legal-0042", "sncf", "legal-hold") { Role = "legal" };
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => Client.SetLegalHoldAsync("k", true, new HdsVersionOptions { VersionId = receipt.VersionId, Context = sncfLegal }, Ct));
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => Client.ExtendRetentionAsync(
            "k", DateTimeOffset.UtcNow.AddYears(30), new HdsVersionOptions { VersionId = receipt.VersionId, Context = sncfLegal with { Purpose = "retention" } }, Ct));
        Assert.Empty(await Client.ListAsync(null, new HdsListOptions { Context = sncf }, Ct).ToListAsync(Ct));
        Assert.Empty(await Client.GetVersionsAsync("k", o, Ct).ToListAsync(Ct));
        Assert.DoesNotContain(await Client.GetRecentAuditRecordsAsync(100, new HdsRequestOptions { Context = new HdsAccessContext("a-1", "sncf", "audit") { Role = "auditor" } }, Ct), r => r.Tenant == "msa");
        Assert.Equal(Models.HdsRetentionMode.Compliance, RetentionModeOf(await Client.GetPropertiesAsync("k", new HdsVersionOptions { VersionId = receipt.VersionId, Context = Alice }, Ct)));
    }

    [Fact]
    public async Task The_default_policy_denies_a_resource_of_another_tenant()
    {
        var policy = new HdsDefaultAuthorizationPolicy(new HdsAuthorizationOptions());
        var cross = await policy.AuthorizeAsync(new HdsAuthorizationRequest(HdsOperation.Get, Alice, "sncf", "k", null), Ct);
        var own = await policy.AuthorizeAsync(new HdsAuthorizationRequest(HdsOperation.Get, Alice, "msa", "k", null), Ct);
        Assert.Equal((false, "cross-tenant"), (cross.IsAllowed, cross.Reason));
        Assert.True(own.IsAllowed);
    }

    [Fact]
    public async Task A_canary_patient_name_never_appears_in_logs_exceptions_keys_or_metadata()
    {
        const string Canary = "Jeanne Dupont-Canary";
        using var opaque = new HdsOpaqueKeys(Enumerable.Repeat((byte)7, 32).ToArray());
        var key = $"patients/{opaque.Derive("patient", Canary)}/form.pdf";
        var messages = new List<string>();
        var receipt = await Client.PutAsync(key, new MemoryStream(Encoding.UTF8.GetBytes("Patient: " + Canary)), new HdsPutOptions { Context = Alice, ContentType = "application/pdf" }, Ct);
        await using (var d = await Client.GetAsync(key, new HdsGetOptions { Context = Alice }, Ct))
        {
            await d.Content.CopyToAsync(Stream.Null, Ct);
        }

        async Task Capture(Func<Task> call) => messages.Add((await Assert.ThrowsAnyAsync<Exception>(call)).ToString());
        await Capture(() => Client.PutAsync("p/" + Canary.Replace(' ', '\n'), new MemoryStream([1]), new HdsPutOptions { Context = Alice }, Ct));
        await Capture(() => Client.PutAsync("x", new MemoryStream([1]), new HdsPutOptions { Context = Alice, ContentType = "application/pdf; name=" + Canary }, Ct));
        await Capture(() => Client.GetAsync(key, new HdsGetOptions { Context = Alice with { PatientPseudonym = Canary } }, Ct));
        await Capture(() => Task.FromResult(new HdsAccessContext(Canary, "msa", "care")));
        await Capture(() => Client.GetAsync(key, new HdsGetOptions { Context = Alice, VersionId = Canary }, Ct));
        await Capture(() => Client.GetAsync(key, new HdsGetOptions { Context = Alice with { Roles = ["agent", Canary] } }, Ct));
        await Capture(() => Client.GetAsync(key, new HdsGetOptions { Context = Alice with { AllowedPurposes = [Canary] } }, Ct));
        await Capture(() => Client.SetLegalHoldAsync(key, false, new HdsVersionOptions { VersionId = receipt.VersionId, Context = Alice with { Purpose = "legal-hold" } }, Ct));
        await Capture(() => Client.ExtendRetentionAsync(key, DateTimeOffset.MaxValue, new HdsVersionOptions { VersionId = Canary, Context = Alice with { Purpose = "retention", Role = "legal" } }, Ct));
        await Client.FlushAuditAsync(Ct);

        Assert.All(messages, m => Assert.DoesNotContain("Dupont", m, StringComparison.OrdinalIgnoreCase));
        Assert.All(_logs.Messages, m => Assert.DoesNotContain("Dupont", m, StringComparison.OrdinalIgnoreCase));
        Assert.NotEmpty(_logs.Messages);

        // Every stored file but the document's own content: object keys and metadata (local store records), audit segments, spool.
        var contentFile = $"{receipt.VersionId}.bin";
        foreach (var file in Directory.EnumerateFiles(_store, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(contentFile, StringComparison.Ordinal) && Path.GetFileName(f) != "lock"))
        {
            Assert.DoesNotContain("Dupont", Path.GetRelativePath(_store, file), StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("Dupont", File.ReadAllText(file), StringComparison.OrdinalIgnoreCase);
        }
    }

    private static Models.HdsRetentionMode RetentionModeOf(Models.HdsObjectProperties p) => p.Retention.Mode;

    private sealed class CapturingLoggerProvider : ILoggerProvider
    {
        public List<string> Messages { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner.Messages)
                {
                    owner.Messages.Add(formatter(state, exception) + " " + exception + " " + string.Join(",", (state as IEnumerable<KeyValuePair<string, object?>>)?.Select(kv => kv.Value) ?? []));
                }
            }
        }
    }
}
