using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends.Local;
using Hds.Storage.Retention;
using Hds.Storage.Tests.TestSupport;
using Hds.Storage.Models;

namespace Hds.Storage.Tests.Audit;

/// <summary>Issue 17: audit segments and checkpoints are locked with their own retention class, not the documents'.</summary>
public sealed class AuditRetentionTests : IDisposable
{
    private readonly TestStore _store = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _store.Dispose();

    [Theory]
    [InlineData(null, 3 * 365)] // the class named "audit", defined below: 3 years
    [InlineData("six-months", 183)] // configured by name
    public async Task Audit_objects_are_locked_with_the_audit_retention_class(string? configured, int days)
    {
        var options = _store.Options();
        options.RetentionClasses[HdsAuditOptions.AuditRetentionClassName] = new HdsRetentionClass { Mode = HdsRetentionMode.Compliance, Duration = TimeSpan.FromDays(3 * 365) };
        options.RetentionClasses["six-months"] = new HdsRetentionClass { Mode = HdsRetentionMode.Compliance, Duration = TimeSpan.FromDays(183) };
        options.Audit.RetentionClass = configured;
        await using (var client = new HdsStorageClient(options, _store.Time, null))
        {
            var receipt = await client.PutAsync("doc/1", new MemoryStream([1]), new HdsPutOptions { Context = new HdsAccessContext("agent-1", "tenant-a", "care") }, Ct);
            Assert.True(receipt.RetainUntil > _store.Time.GetUtcNow().AddYears(19)); // the document keeps the default class (20 years)
            await client.FlushAuditAsync(Ct);
        }

        var backend = new LocalBackend(options.Local!, _store.Time);
        var audit = (await backend.ListHistoryAsync(AuditStore.Prefix, Ct)).Select(v => v.Key).Distinct().ToList();
        Assert.Contains(audit, k => k.Contains("/segments/", StringComparison.Ordinal));
        Assert.Contains(audit, k => k.Contains("/checkpoints/", StringComparison.Ordinal));
        foreach (var key in audit)
        {
            var head = await backend.HeadAsync(key, null, Ct);
            Assert.Equal(HdsRetentionMode.Compliance, head.Retention.Mode);
            Assert.InRange(head.Retention.RetainUntil!.Value, _store.Time.GetUtcNow().AddDays(days - 1), _store.Time.GetUtcNow().AddDays(days + 1));
        }
    }

    [Fact]
    public void An_audit_retention_class_that_is_not_defined_is_a_configuration_error()
    {
        // A typo must not silently lock the trail with the documents' class (or none): the client refuses to start.
        var options = _store.Options();
        options.Audit.RetentionClass = "three-yaers";

        var ex = Assert.Throws<HdsConfigurationException>(options.Validate);

        Assert.Contains("Audit.RetentionClass", ex.Message, StringComparison.Ordinal);
    }
}
