using System.Diagnostics;
using Hds.Storage.Diagnostics;
using Hds.Storage.Tests.TestSupport;

namespace Hds.Storage.Tests.Diagnostics;

[Collection(nameof(TelemetryCollection))]
public sealed class TracingTests : IDisposable
{
    private readonly TestStore _store = new();

    public void Dispose() => _store.Dispose();

    [Fact]
    public async Task Each_operation_is_one_activity_nested_under_the_callers_with_outcome_and_size()
    {
        using var capture = new TelemetryCapture();
        await using var client = _store.Client(TestCertificates.Operational);
        using var caller = new ActivitySource("Tests.Caller");
        using var callerListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == "Tests.Caller",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(callerListener);

        using (var parent = caller.StartActivity("request")!)
        {
            var receipt = await client.PutAsync("doc-1", new MemoryStream(new byte[1234]), TestStore.Put(), TestContext.Current.CancellationToken);
            await client.VerifyAsync("doc-1", new HdsVerifyOptions { Context = TestStore.Context(), Receipt = receipt }, TestContext.Current.CancellationToken);

            var put = Assert.Single(capture.Activities, a => a.OperationName == "hds.put");
            Assert.Equal(parent.TraceId, put.TraceId);
            Assert.Equal(parent.SpanId, put.ParentSpanId);
            Assert.Equal("Put", put.GetTagItem("hds.operation"));
            Assert.Equal("succeeded", put.GetTagItem("hds.outcome"));
            Assert.Equal("tenant-a", put.GetTagItem("hds.tenant"));
            Assert.Equal(1234L, put.GetTagItem("hds.object.size"));
            Assert.Equal(ActivityStatusCode.Unset, put.Status);
        }

        // Verify reads through Get: one activity for the verification, none for the inner read.
        Assert.Single(capture.Activities, a => a.OperationName == "hds.verify");
        Assert.DoesNotContain(capture.Activities, a => a.OperationName == "hds.get");
    }

    [Fact]
    public async Task A_failed_operation_is_an_error_activity_with_the_error_code_only()
    {
        using var capture = new TelemetryCapture();
        await using var client = _store.Client(TestCertificates.Operational);

        await Assert.ThrowsAsync<HdsObjectNotFoundException>(() => client.GetPropertiesAsync("absent", new HdsVersionOptions { Context = TestStore.Put().Context }, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<HdsAccessDeniedException>(() => client.GetPropertiesAsync("absent", cancellationToken: TestContext.Current.CancellationToken));

        var failed = capture.Activities.Where(a => a.OperationName == "hds.get_properties").ToList();
        Assert.Equal(2, failed.Count);
        Assert.All(failed, a => Assert.Equal(ActivityStatusCode.Error, a.Status));
        Assert.Equal(["AccessDenied", "NotFound"], failed.Select(a => (string)a.GetTagItem("error.type")!).Order(StringComparer.Ordinal));
        Assert.Equal(["denied", "not_found"], failed.Select(a => (string)a.GetTagItem("hds.outcome")!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Nothing_is_traced_or_wrapped_when_nobody_listens()
    {
        await using var client = _store.Client(TestCertificates.Operational);
        await client.PutAsync("doc-2", new MemoryStream([1, 2, 3]), TestStore.Put(), TestContext.Current.CancellationToken);

        Assert.False(HdsStorageTelemetry.Source.HasListeners());
        await using (var plain = await client.GetAsync("doc-2", TestStore.Get(), TestContext.Current.CancellationToken))
        {
            Assert.IsNotType<MeteredReadStream>(plain.Content);
        }

        using var capture = new TelemetryCapture();
        await using var metered = await client.GetAsync("doc-2", TestStore.Get(), TestContext.Current.CancellationToken);
        Assert.IsType<MeteredReadStream>(metered.Content);
    }
}
