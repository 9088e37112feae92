namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>
/// Usage mistakes are usage errors (exit 1) that say what was meant, before any I/O: an unknown option is never taken as a key or a
/// prefix, a mistyped command or option gets a "did you mean", and the help named is the command's own.
/// </summary>
public sealed class UsageErrorTests
{
    private static readonly string[] Context = ["--actor", "op-42", "--tenant", "msa", "--purpose", "claim-processing", "-o", "json"];

    private static async Task<CliResult> Hds(params string[] args) => await CliRunner.RunAsync(args);

    [Theory]
    [InlineData("ls", "--recursive")]
    [InlineData("head", "--follow")]
    [InlineData("versions", "--all")]
    public async Task An_unknown_option_is_a_usage_error_not_a_key_or_prefix_and_nothing_is_created(string command, string option)
    {
        var store = Directory.CreateTempSubdirectory("hds-usage-");
        var result = await Hds([command, option, "--local", store.FullName, .. Context]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"error: InvalidRequest: Unknown option '{option}' for '{command}'.", result.Stderr, StringComparison.Ordinal);
        Assert.Contains($"Run 'hds {command} --help' for usage.", result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
        Assert.Empty(store.EnumerateFileSystemInfos()); // refused before the store was opened
    }

    [Theory]
    [InlineData(new[] { "lst" }, "Unknown command 'lst' for hds. Did you mean 'ls'?", "Run 'hds --help' for usage.")]
    [InlineData(new[] { "keys", "rotat" }, "Unknown command 'rotat' for 'keys'. Did you mean 'rotate'?", "Run 'hds keys --help' for usage.")]
    [InlineData(new[] { "ls", "--actr", "x" }, "Unknown option '--actr' for 'ls'. Did you mean '--actor'?", "Run 'hds ls --help' for usage.")]
    [InlineData(new[] { "get", "k", "--out", "-", "--tenat", "msa" }, "Did you mean '--tenant'?", "Run 'hds get --help' for usage.")]
    public async Task A_mistyped_command_or_option_gets_a_suggestion_and_the_commands_own_help(string[] args, string said, string help)
    {
        var result = await Hds(args);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(said, result.Stderr, StringComparison.Ordinal);
        Assert.Contains(help, result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Required command was not provided", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_can_still_start_with_a_dash_after_a_double_dash()
    {
        var store = Directory.CreateTempSubdirectory("hds-usage-");
        var create = await Hds(["bucket", "create", "--local", store.FullName, .. Context]);
        Assert.True(create.ExitCode == 0, create.ToString());
        var result = await Hds(["head", "--local", store.FullName, .. Context, "--", "-dash-key"]);
        Assert.Equal(5, result.ExitCode); // taken as the key: not found, not a usage error
    }

    [Fact]
    public async Task Verify_with_another_version_than_the_receipts_is_a_usage_error_and_a_mismatch_names_the_field()
    {
        var store = Directory.CreateTempSubdirectory("hds-usage-");
        var local = new[] { "--local", store.FullName };
        Assert.Equal(0, (await Hds(["bucket", "create", .. local, .. Context])).ExitCode);
        var file = Path.Combine(store.FullName, "..", Path.GetRandomFileName());
        await File.WriteAllTextAsync(file, "first", TestContext.Current.CancellationToken);
        var first = await Hds(["put", file, "doc", .. local, .. Context]);
        await File.WriteAllTextAsync(file, "second", TestContext.Current.CancellationToken);
        var second = await Hds(["put", file, "doc", .. local, .. Context]);
        var receiptOfFirst = Path.Combine(store.FullName, "..", Path.GetRandomFileName());
        await File.WriteAllBytesAsync(receiptOfFirst, first.Stdout, TestContext.Current.CancellationToken);

        var mixed = await Hds(["verify", "doc", "--version", second.Json().GetProperty("versionId").GetString()!, "--receipt", receiptOfFirst, .. local, .. Context]);
        Assert.Equal(1, mixed.ExitCode); // a usage mistake, not an integrity failure (exit 4 would page someone for data corruption)
        Assert.Contains("error: InvalidRequest: The version asked for is not the receipt's version", mixed.Stderr, StringComparison.Ordinal);

        // A receipt that really differs: exit 4, and the message says which field.
        var tampered = System.Text.Encoding.UTF8.GetString(first.Stdout).Replace(first.Json().GetProperty("sha256").GetString()!, new string('0', 64), StringComparison.Ordinal);
        await File.WriteAllTextAsync(receiptOfFirst, tampered, TestContext.Current.CancellationToken);
        var mismatch = await Hds(["verify", "doc", "--receipt", receiptOfFirst, .. local, .. Context]);
        Assert.Equal(4, mismatch.ExitCode);
        Assert.Contains("does not match the receipt: SHA-256 differ(s).", mismatch.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_outside_an_enum_lists_the_allowed_values_on_one_line_without_tabs()
    {
        var result = await Hds("legal-hold", "doc", "maybe");
        Assert.Equal(1, result.ExitCode);
        Assert.DoesNotContain('\t', result.Stderr);
        Assert.Contains("Argument 'maybe' not recognized. Must be one of: 'on', 'off'", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_of_a_directory_is_a_usage_error_that_says_so_not_access_denied()
    {
        var store = Directory.CreateTempSubdirectory("hds-usage-");
        var result = await Hds("put", store.FullName, "doc", "--local", store.FullName, "--actor", "op-42", "--tenant", "msa", "--purpose", "claim-processing");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("The input is a directory", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("denied", result.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_option_value_starting_with_a_dash_is_a_value_not_an_unknown_option()
    {
        // RGW version ids may begin with '-': "--version -AbC..." is the version asked for (here: not found), not a usage error.
        var store = Directory.CreateTempSubdirectory("hds-usage-");
        Assert.Equal(0, (await Hds(["bucket", "create", "--local", store.FullName, .. Context])).ExitCode);
        var result = await Hds(["head", "doc", "--version", "-AbCdEfGhIjKlMnOpQrStUvWxYz012", "--local", store.FullName, .. Context]);
        Assert.DoesNotContain("Unknown option", result.Stderr, StringComparison.Ordinal);
        Assert.Equal(5, result.ExitCode);
    }
}
