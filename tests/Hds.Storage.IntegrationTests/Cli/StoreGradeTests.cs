namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>
/// The CLI never lets an embedded store pass for health-data hosting, and shows the configuration even when nothing is configured.
/// </summary>
public sealed class StoreGradeTests
{
    private static readonly string[] Context = ["--actor", "op-42", "--tenant", "msa", "--purpose", "audit"];

    [Fact]
    public async Task Bucket_check_of_an_embedded_store_says_it_is_not_hds_grade_in_json_and_on_a_terminal()
    {
        var store = Directory.CreateTempSubdirectory("hds-grade-").FullName;
        var created = await CliRunner.RunAsync(["bucket", "create", "--local", store, .. Context, "-o", "json"]);
        Assert.True(created.ExitCode == 0, created.ToString());
        var json = created.Json();
        Assert.True(json.GetProperty("compliant").GetBoolean()); // versions and locks work...
        Assert.False(json.GetProperty("hdsGrade").GetBoolean()); // ...but a directory is not health-data hosting
        Assert.Contains("NOT HDS-grade hosting", json.GetProperty("grade").GetString(), StringComparison.Ordinal);

        var human = await CliRunner.RunAsync(["bucket", "check", "--local", store, .. Context, "-o", "human"], environment: new Dictionary<string, string> { ["COLUMNS"] = "200" });
        Assert.Equal(0, human.ExitCode);
        Assert.DoesNotContain("fit for health data", human.StdoutText, StringComparison.Ordinal);
        Assert.Contains("NOT HDS-grade hosting", human.StdoutText.ReplaceLineEndings(" "), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_show_with_nothing_configured_exits_0_and_lists_each_problem()
    {
        var empty = Directory.CreateTempSubdirectory("hds-noconfig-").FullName;
        var show = await CliRunner.RunAsync(["config", "show", "-o", "json"], workingDirectory: empty);
        Assert.True(show.ExitCode == 0, show.ToString());
        var json = show.Json();
        Assert.False(json.GetProperty("valid").GetBoolean());
        Assert.False(json.GetProperty("hdsGrade").GetBoolean());
        var problems = json.GetProperty("problems").EnumerateArray().Select(p => p.GetString()!).ToList();
        Assert.NotEmpty(problems);
        Assert.Contains(problems, p => p.Contains("--local", StringComparison.Ordinal)); // says what to configure

        var local = await CliRunner.RunAsync(["config", "show", "--local", Path.Combine(empty, "store"), "-o", "json"], workingDirectory: empty);
        Assert.Equal(0, local.ExitCode);
        Assert.False(local.Json().GetProperty("hdsGrade").GetBoolean());
        Assert.Contains("NOT HDS-grade hosting", local.Json().GetProperty("grade").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_path_that_is_a_file_is_a_configuration_error_at_start_up_not_a_failure_of_every_request()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("hds-file-").FullName, "not-a-store.txt");
        await File.WriteAllTextAsync(file, "x", TestContext.Current.CancellationToken);

        var cli = await CliRunner.RunAsync(["ls", "--local", file, .. Context]);
        Assert.Equal(2, cli.ExitCode);
        Assert.Contains("error: Configuration: --local names a file", cli.Stderr, StringComparison.Ordinal);

        var error = Assert.Throws<HdsConfigurationException>(() => new HdsStorageClient(new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = file } }));
        Assert.Contains("Local.Path names a file", error.Message, StringComparison.Ordinal);
        Assert.Equal("x", await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken)); // untouched
    }
}
