namespace Hds.Storage.IntegrationTests.Cli;

public sealed partial class TerminalOutputTests
{
    [Fact]
    public async Task Get_prints_the_verified_size_and_sha256_whole_at_80_columns()
    {
        var store = Directory.CreateTempSubdirectory("hds-tty-get-").FullName;
        var file = Path.Combine(store, "..", Path.GetRandomFileName());
        await File.WriteAllTextAsync(file, "a document", TestContext.Current.CancellationToken);
        Assert.Equal(0, (await CliRunner.RunAsync(["bucket", "create", "--local", store, .. Context])).ExitCode);
        var receipt = (await CliRunner.RunAsync(["put", file, "doc", "--local", store, .. Context, "-o", "json"])).Json();

        var get = await OnTerminalAsync(80, ["get", "doc", "--out", file + ".copy", "--local", store, .. Context]);

        Assert.Contains(Lines(get), l => l.StartsWith("Size ", StringComparison.Ordinal) && l.Contains("10 bytes", StringComparison.Ordinal));
        Assert.Contains(Lines(get), l => l.StartsWith("SHA-256 ", StringComparison.Ordinal) && l.Contains(receipt.GetProperty("sha256").GetString()!, StringComparison.Ordinal));
        Assert.DoesNotContain("known once read", get, StringComparison.Ordinal);
    }
}
