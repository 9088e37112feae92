using System.Text;
using Hds.Storage.Tests.TestSupport;

namespace Hds.Storage.Tests.Diagnostics;

/// <summary>Logs, traces and metrics carry pseudonymous ids, operation names and sizes only: never content nor object keys.</summary>
[Collection(nameof(TelemetryCollection))]
public sealed class TelemetryPrivacyTests : IDisposable
{
    private const string Canary = "CANARY-Dupont-Jeanne-1954";
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Logs_traces_and_metrics_never_carry_object_keys_or_content()
    {
        using var capture = new TelemetryCapture();
        await using var client = new HdsStorageClient(_store.Options(TestCertificates.Operational), _store.Time, capture);
        var key = "patients/" + Canary + "/form.pdf";
        var content = Encoding.UTF8.GetBytes("medical form of " + Canary);

        var receipt = await client.PutAsync(key, new MemoryStream(content), TestStore.Put(), TestContext.Current.CancellationToken);
        await TestStore.ReadAllAsync(client, key, TestStore.Get());
        await client.VerifyAsync(key, new HdsVerifyOptions { Context = TestStore.Context(), Receipt = receipt }, TestContext.Current.CancellationToken);
        await client.GetVersionsAsync(key, TestStore.Put(), TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => client.GetPropertiesAsync(key + "-absent", new HdsVersionOptions { Context = TestStore.Put().Context }, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<HdsInvalidRequestException>(() => client.PutAsync("../" + Canary, new MemoryStream(content), TestStore.Put(), TestContext.Current.CancellationToken));
        await client.FlushAuditAsync(TestContext.Current.CancellationToken);
        capture.RecordObservableInstruments();

        var text = capture.AllText().ToList();
        Assert.Contains(text, t => t.Contains("hds.operation=Put", StringComparison.Ordinal)); // the capture saw the operations
        Assert.NotEmpty(capture.LogLines);
        Assert.DoesNotContain(text, t => t.Contains(Canary, StringComparison.OrdinalIgnoreCase) || t.Contains("form.pdf", StringComparison.Ordinal));

        // The structured audit line (event 100) carries the same non-sensitive facts as the stored record: key id and site.
        Assert.Contains(capture.LogLines, l => l.StartsWith("100 Audit Put Succeeded", StringComparison.Ordinal)
            && l.Contains("KeyId=" + receipt.KeyId, StringComparison.Ordinal) && l.Contains("Site=local", StringComparison.Ordinal));
    }
}
