namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>The CLI contract against the embedded local store, plus what only a local store can show.</summary>
public sealed partial class LocalCliTests(LocalCliBackend backend) : CliContractTests<LocalCliBackend>(backend)
{
    /// <summary>A new embedded store, created as an operator does: every command but 'hds bucket create --local' needs an existing store.</summary>
    private async Task<string> NewStoreAsync(string name, params string[] options)
    {
        var store = Path.Combine(WorkDir, name);
        AssertExit(0, await Raw(["bucket", "create", "--local", store, .. options, .. Context]));
        return store;
    }

    [Fact]
    public async Task A_store_without_object_lock_is_not_compliant_and_refused_with_exit_2()
    {
        var store = Path.Combine(WorkDir, "unlocked-store");
        Directory.CreateDirectory(store);
        await File.WriteAllTextAsync(Path.Combine(store, "hds-store.json"), """{"Versioning":"Enabled","ObjectLockEnabled":false,"Layout":1}""", TestContext.Current.CancellationToken);

        var check = await Raw(["--local", store, "bucket", "check", .. Context]);
        var put = await Raw("put", WriteInput([1, 2, 3]), "doc", "--local", store, "--actor", "op-42", "--tenant", Tenant, "--purpose", "audit");

        AssertError(2, "Configuration", check);
        Assert.False(check.Json().GetProperty("objectLockEnabled").GetBoolean());
        Assert.False(check.Json().GetProperty("compliant").GetBoolean());
        AssertError(2, "Configuration", put);
        Assert.Empty(put.Stdout);
    }

    [Fact]
    public async Task Bucket_create_initializes_a_compliant_local_store()
    {
        var store = Path.Combine(WorkDir, "new-store");

        var created = await Raw(["--local", store, "bucket", "create", .. Context]);

        AssertExit(0, created);
        Assert.True(created.Json().GetProperty("compliant").GetBoolean());
        Assert.True(File.Exists(Path.Combine(store, "hds-store.json")));
        AssertError(1, "InvalidRequest", await Raw(["--local", store, "bucket", "create", "some-bucket", .. Context]));
    }

    [Fact]
    public async Task No_backend_or_two_backends_exit_1()
    {
        AssertError(1, "InvalidRequest", await Raw("bucket", "check"));
        AssertError(1, "InvalidRequest", await Raw("--local", WorkDir, "--endpoint", "http://127.0.0.1:1", "--bucket", "abc", "bucket", "check"));
        AssertError(1, "InvalidRequest", await Raw("--endpoint", "not a url", "--bucket", "abc", "bucket", "check"));
    }
}
