using System.Text.Json;

namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>
/// The <c>hds</c> contract, run as a real child process against every backend: JSON on stdout, one <c>error:</c> line on stderr, stable
/// exit codes. Each test uses its own key prefix, so tests share one store or bucket per backend.
/// </summary>
public abstract partial class CliContractTests<TBackend> : IClassFixture<TBackend>, IDisposable
    where TBackend : class, ICliBackend
{
    protected const string Tenant = "msa-test";

    protected static readonly string[] Context = ["--actor", "op-42", "--tenant", Tenant, "--purpose", "audit", "--role", "operator", "--role", "auditor"];

    /// <summary>A legal officer setting or releasing holds: purpose legal-hold, role legal.</summary>
    protected static readonly string[] LegalHold = ["--actor", "legal-3", "--tenant", Tenant, "--purpose", "legal-hold", "--role", "legal"];

    /// <summary>A legal officer extending a retention: purpose retention, role legal.</summary>
    protected static readonly string[] RetentionExtension = ["--actor", "legal-3", "--tenant", Tenant, "--purpose", "retention", "--role", "legal"];

    protected CliContractTests(TBackend backend)
    {
        Backend = backend;
        Prefix = "cli-" + Guid.NewGuid().ToString("N")[..12] + "/";
        WorkDir = Directory.CreateTempSubdirectory("hds-cli-work-").FullName;
    }

    protected TBackend Backend { get; }

    /// <summary>This test's key prefix.</summary>
    protected string Prefix { get; }

    /// <summary>A directory for this test's input and output files.</summary>
    protected string WorkDir { get; }

    public void Dispose()
    {
        if (Directory.Exists(WorkDir))
        {
            Directory.Delete(WorkDir, recursive: true);
        }
    }

    /// <summary>Runs hds with the backend options and the access context after the command.</summary>
    protected Task<CliResult> Hds(params string[] args) => Raw([.. args, .. Backend.BackendArgs, .. Context]);

    protected Task<CliResult> HdsWithStdin(byte[] stdin, params string[] args) =>
        CliRunner.RunAsync([.. args, .. Backend.BackendArgs, .. Context], stdin, Backend.Environment, WorkDir);

    /// <summary>Runs hds with the backend options and another access context after the command.</summary>
    protected Task<CliResult> HdsAs(string[] context, params string[] args) => Raw([.. args, .. Backend.BackendArgs, .. context]);

    /// <summary>Runs hds with exactly these arguments (plus the backend's environment).</summary>
    protected Task<CliResult> Raw(params string[] args) => CliRunner.RunAsync(args, environment: Backend.Environment, workingDirectory: WorkDir);

    protected static void AssertExit(int expected, CliResult result) => Assert.True(result.ExitCode == expected, $"expected exit {expected}, got {result}");

    protected static void AssertError(int expected, string code, CliResult result)
    {
        AssertExit(expected, result);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith($"error: {code}: ", StringComparison.Ordinal));
    }

    protected string WriteInput(byte[] content)
    {
        var path = Path.Combine(WorkDir, Guid.NewGuid().ToString("N") + ".in");
        File.WriteAllBytes(path, content);
        return path;
    }

    protected static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        Random.Shared.NextBytes(bytes);
        return bytes;
    }

    protected async Task<JsonElement> PutAsync(string key, byte[] content, params string[] extra)
    {
        var result = await Hds(["put", WriteInput(content), key, .. extra]);
        AssertExit(0, result);
        return result.Json();
    }

    [Fact]
    public async Task Bucket_check_prints_a_compliant_bucket()
    {
        var result = await Hds("bucket", "check");

        AssertExit(0, result);
        var json = result.Json();
        Assert.True(json.GetProperty("versioningEnabled").GetBoolean());
        Assert.True(json.GetProperty("objectLockEnabled").GetBoolean());
        Assert.True(json.GetProperty("compliant").GetBoolean());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("bucket").GetString()));
    }

    [Fact]
    public async Task Put_prints_a_receipt_locked_20_years_by_default_and_get_returns_the_same_bytes()
    {
        var content = RandomBytes(70_000);
        var key = Prefix + "report.pdf";

        var receipt = await PutAsync(key, content, "--content-type", "application/pdf");

        Assert.Equal(key, receipt.GetProperty("key").GetString());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)), receipt.GetProperty("sha256").GetString());
        Assert.Equal(content.Length, receipt.GetProperty("size").GetInt64());
        Assert.Equal("default", receipt.GetProperty("retentionClass").GetString());
        Assert.Equal("Compliance", receipt.GetProperty("retentionMode").GetString());
        Assert.Equal("op-42", receipt.GetProperty("writer").GetString());
        var until = receipt.GetProperty("retainUntil").GetDateTimeOffset();
        Assert.InRange(until, DateTimeOffset.UtcNow.AddDays(7304), DateTimeOffset.UtcNow.AddDays(7306));

        var output = Path.Combine(WorkDir, "out.pdf");
        var get = await Hds("get", key, "--out", output);

        AssertExit(0, get);
        Assert.Equal(content, await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken));
        Assert.Equal(receipt.GetProperty("versionId").GetString(), get.Json().GetProperty("versionId").GetString());
        Assert.Equal("application/pdf", get.Json().GetProperty("contentType").GetString());
    }

    [Fact]
    public async Task Put_reads_stdin_and_get_writes_raw_bytes_to_stdout()
    {
        var content = RandomBytes(200_000);
        content[0] = 0;
        content[1] = 0xFF;
        var key = Prefix + "stdin.bin";

        var put = await HdsWithStdin(content, "put", "-", key);
        AssertExit(0, put);
        Assert.Equal(content.Length, put.Json().GetProperty("size").GetInt64());

        var get = await Hds("get", key, "--out", "-");

        AssertExit(0, get);
        Assert.Equal(content, get.Stdout);
        Assert.Equal(string.Empty, get.Stderr);
    }

    [Fact]
    public async Task Progress_bars_go_to_stderr_and_never_into_stdout()
    {
        var content = RandomBytes(9 * 1024 * 1024);
        var key = Prefix + "progress.bin";
        var env = new Dictionary<string, string>(Backend.Environment) { ["HDS_PROGRESS"] = "always" };

        var put = await CliRunner.RunAsync(["put", WriteInput(content), key, .. Backend.BackendArgs, .. Context], environment: env, workingDirectory: WorkDir);
        var get = await CliRunner.RunAsync(["get", key, "--out", "-", .. Backend.BackendArgs, .. Context], environment: env, workingDirectory: WorkDir);

        AssertExit(0, put);
        Assert.Equal(content.Length, put.Json().GetProperty("size").GetInt64());
        AssertExit(0, get);
        Assert.Equal(content, get.Stdout);
    }

    [Fact]
    public async Task Global_options_are_accepted_before_or_after_the_command()
    {
        var key = Prefix + "global";
        var content = RandomBytes(100);
        await PutAsync(key, content);

        var before = await Raw([.. Backend.BackendArgs, .. Context, "head", key]);
        var mixed = await Raw(["--actor", "op-42", .. Backend.BackendArgs, "head", key, "--tenant", Tenant, "--purpose", "audit"]);

        AssertExit(0, before);
        AssertExit(0, mixed);
        Assert.Equal(key, before.Json().GetProperty("key").GetString());
        Assert.Equal(key, mixed.Json().GetProperty("key").GetString());
    }

    [Fact]
    public async Task Put_with_the_short_class_locks_one_day_in_compliance_mode()
    {
        var receipt = await PutAsync(Prefix + "short", RandomBytes(10), "--class", "short");

        Assert.Equal("short", receipt.GetProperty("retentionClass").GetString());
        Assert.Equal("Compliance", receipt.GetProperty("retentionMode").GetString());
        Assert.InRange(receipt.GetProperty("retainUntil").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddHours(23), DateTimeOffset.UtcNow.AddHours(25));
    }

    [Fact]
    public async Task Put_with_an_unknown_class_is_a_usage_error_and_writes_nothing()
    {
        var key = Prefix + "unknown-class";

        var result = await Hds("put", WriteInput(RandomBytes(10)), key, "--class", "forever-and-a-day");

        AssertError(1, "InvalidRequest", result);
        Assert.Empty(result.Stdout);
        AssertError(5, "NotFound", await Hds("head", key));
    }

    [Fact]
    public async Task Put_of_a_missing_file_is_a_usage_error()
    {
        AssertError(1, "InvalidRequest", await Hds("put", Path.Combine(WorkDir, "missing.pdf"), Prefix + "x"));
    }

    [Fact]
    public async Task Head_prints_properties_with_retention_and_writer()
    {
        var key = Prefix + "head";
        var receipt = await PutAsync(key, RandomBytes(1234));
        var version = receipt.GetProperty("versionId").GetString()!;

        var latest = await Hds("head", key);
        var byVersion = await Hds("head", key, "--version", version);

        AssertExit(0, latest);
        AssertExit(0, byVersion);
        var json = byVersion.Json();
        Assert.Equal(version, json.GetProperty("versionId").GetString());
        Assert.Equal("Compliance", json.GetProperty("retention").GetProperty("mode").GetString());
        Assert.False(json.GetProperty("retention").GetProperty("legalHold").GetBoolean());
        Assert.Equal("op-42", json.GetProperty("writer").GetString());
        Assert.Equal(version, latest.Json().GetProperty("versionId").GetString());
    }

    [Fact]
    public async Task Ls_lists_every_object_under_a_prefix_as_one_array()
    {
        await PutAsync(Prefix + "a/1", RandomBytes(5));
        await PutAsync(Prefix + "a/2", RandomBytes(5));
        await PutAsync(Prefix + "b/1", RandomBytes(5));

        var all = await Hds("ls", Prefix);
        var a = await Hds("ls", Prefix + "a/");

        AssertExit(0, all);
        AssertExit(0, a);
        Assert.Equal([Prefix + "a/1", Prefix + "a/2", Prefix + "b/1"], all.Json().EnumerateArray().Select(i => i.GetProperty("key").GetString()));
        Assert.Equal([Prefix + "a/1", Prefix + "a/2"], a.Json().EnumerateArray().Select(i => i.GetProperty("key").GetString()));
    }

    [Fact]
    public async Task Versions_lists_every_version_newest_first_and_get_reads_an_older_one()
    {
        var key = Prefix + "versioned";
        var first = RandomBytes(300);
        var v1 = (await PutAsync(key, first)).GetProperty("versionId").GetString()!;
        var v2 = (await PutAsync(key, RandomBytes(400))).GetProperty("versionId").GetString()!;

        var versions = await Hds("versions", key);

        AssertExit(0, versions);
        var items = versions.Json().EnumerateArray().ToList();
        Assert.Equal([v2, v1], items.Select(i => i.GetProperty("versionId").GetString()));
        Assert.True(items[0].GetProperty("isLatest").GetBoolean());
        var old = await Hds("get", key, "--version", v1, "--out", "-");
        AssertExit(0, old);
        Assert.Equal(first, old.Stdout);
    }

    [Fact]
    public async Task Delete_hides_the_object_behind_a_marker_and_keeps_its_versions()
    {
        var key = Prefix + "deleted";
        var content = RandomBytes(64);
        var version = (await PutAsync(key, content)).GetProperty("versionId").GetString()!;

        var delete = await Hds("delete", key);

        AssertExit(0, delete);
        Assert.False(string.IsNullOrEmpty(delete.Json().GetProperty("deleteMarkerVersionId").GetString()));
        AssertError(5, "NotFound", await Hds("get", key, "--out", "-"));
        var versions = (await Hds("versions", key)).Json().EnumerateArray().ToList();
        Assert.True(versions[0].GetProperty("isDeleteMarker").GetBoolean());
        var old = await Hds("get", key, "--version", version, "--out", "-");
        AssertExit(0, old);
        Assert.Equal(content, old.Stdout);
    }

    [Fact]
    public async Task Delete_of_a_key_that_never_existed_exits_5()
    {
        AssertError(5, "NotFound", await Hds("delete", Prefix + "never"));
    }

    [Fact]
    public async Task Get_of_a_missing_object_exits_5_and_leaves_no_output_file()
    {
        var output = Path.Combine(WorkDir, "missing.out");

        var result = await Hds("get", Prefix + "missing", "--out", output);

        AssertError(5, "NotFound", result);
        Assert.Empty(result.Stdout);
        Assert.Empty(Directory.EnumerateFiles(WorkDir));
    }

    [Fact]
    public async Task Get_of_tampered_content_exits_4_and_leaves_no_output_file()
    {
        var key = Prefix + "tampered";
        var version = (await PutAsync(key, RandomBytes(50_000))).GetProperty("versionId").GetString()!;
        var tampered = await Backend.TamperAsync(Tenant, key, version);
        var outDir = Directory.CreateTempSubdirectory("hds-cli-out-").FullName;
        var output = Path.Combine(outDir, "tampered.out");

        var get = await Hds("get", key, "--version", tampered, "--out", output);
        var verify = await Hds("verify", key, "--version", tampered);

        AssertError(4, "Integrity", get);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outDir));
        AssertError(4, "Integrity", verify);
        Directory.Delete(outDir);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("")]
    public async Task An_invalid_key_exits_1(string key)
    {
        AssertError(1, "InvalidRequest", await Hds("head", key));
    }

    [Fact]
    public async Task Legal_hold_turns_on_and_off_as_read_back()
    {
        var key = Prefix + "hold";
        await PutAsync(key, RandomBytes(10));

        var on = await HdsAs(LegalHold, "legal-hold", key, "on");
        AssertExit(0, on);
        Assert.True(on.Json().GetProperty("retention").GetProperty("legalHold").GetBoolean());
        Assert.True((await Hds("head", key)).Json().GetProperty("retention").GetProperty("legalHold").GetBoolean());

        var off = await HdsAs(LegalHold, "legal-hold", key, "off");
        AssertExit(0, off);
        Assert.False(off.Json().GetProperty("retention").GetProperty("legalHold").GetBoolean());
        AssertExit(1, await HdsAs(LegalHold, "legal-hold", key, "maybe"));
    }

    [Fact]
    public async Task Retention_extends_and_refuses_shortening_with_exit_6()
    {
        var key = Prefix + "retention";
        var receipt = await PutAsync(key, RandomBytes(10), "--class", "short");
        var until = DateTimeOffset.UtcNow.AddDays(30);
        var iso = until.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

        var extend = await HdsAs(RetentionExtension, "retention", "extend", key, "--until", iso, "--version", receipt.GetProperty("versionId").GetString()!);

        AssertExit(0, extend);
        var applied = extend.Json().GetProperty("retention").GetProperty("retainUntil").GetDateTimeOffset();
        Assert.InRange(applied, until.AddSeconds(-2), until.AddSeconds(2));
        var shorter = DateTimeOffset.UtcNow.AddDays(10).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        AssertError(6, "ObjectLocked", await HdsAs(RetentionExtension, "retention", "extend", key, "--until", shorter));
        AssertError(1, "InvalidRequest", await HdsAs(RetentionExtension, "retention", "extend", key, "--until", "next tuesday"));
        AssertError(1, "InvalidRequest", await HdsAs(RetentionExtension, "retention", "extend", key));
    }

    [Fact]
    public async Task Verify_checks_a_version_against_its_receipt()
    {
        var key = Prefix + "verified";
        var put = await Hds("put", WriteInput(RandomBytes(5000)), key);
        AssertExit(0, put);
        var receiptPath = Path.Combine(WorkDir, "receipt.json");
        await File.WriteAllBytesAsync(receiptPath, put.Stdout, TestContext.Current.CancellationToken);

        var verify = await Hds("verify", key, "--receipt", receiptPath);

        AssertExit(0, verify);
        Assert.Equal(put.Json().GetProperty("sha256").GetString(), verify.Json().GetProperty("sha256").GetString());
        Assert.Equal(put.Json().GetProperty("versionId").GetString(), verify.Json().GetProperty("versionId").GetString());
        AssertExit(0, await Hds("verify", key));
    }

    [Fact]
    public async Task Verify_against_a_receipt_of_other_content_exits_4()
    {
        var key = Prefix + "receipt-mismatch";
        var put = await Hds("put", WriteInput(RandomBytes(100)), key);
        AssertExit(0, put);
        var forged = put.StdoutText.Replace(put.Json().GetProperty("sha256").GetString()!, new string('0', 64), StringComparison.Ordinal);
        var receiptPath = Path.Combine(WorkDir, "forged.json");
        await File.WriteAllTextAsync(receiptPath, forged, TestContext.Current.CancellationToken);

        AssertError(4, "Integrity", await Hds("verify", key, "--receipt", receiptPath));
        await File.WriteAllTextAsync(receiptPath, "{ not json", TestContext.Current.CancellationToken);
        AssertError(1, "InvalidRequest", await Hds("verify", key, "--receipt", receiptPath));
    }

    [Fact]
    public async Task A_missing_access_context_is_refused_with_exit_3_before_any_io()
    {
        var key = Prefix + "anonymous";

        var noContext = await Raw(["put", WriteInput(RandomBytes(10)), key, .. Backend.BackendArgs]);
        var noPurpose = await Raw(["head", key, .. Backend.BackendArgs, "--actor", "op-42", "--tenant", Tenant]);

        AssertError(3, "AccessDenied", noContext);
        Assert.Contains("--actor", noContext.Stderr, StringComparison.Ordinal);
        AssertError(3, "AccessDenied", noPurpose);
        Assert.Contains("--purpose", noPurpose.Stderr, StringComparison.Ordinal);
        AssertError(5, "NotFound", await Hds("head", key));
    }

    [Fact]
    public async Task A_malformed_access_context_exits_1()
    {
        AssertError(1, "InvalidRequest", await Raw(["ls", .. Backend.BackendArgs, "--actor", "op-42", "--tenant", "Not A Tenant", "--purpose", "audit"]));
    }

    [Fact]
    public async Task A_tenant_never_reaches_another_tenants_objects()
    {
        var key = Prefix + "isolated";
        await PutAsync(key, RandomBytes(10));

        var other = await Raw(["get", key, "--out", "-", .. Backend.BackendArgs, "--actor", "op-42", "--tenant", "other-scheme", "--purpose", "audit"]);

        AssertError(5, "NotFound", other);
        Assert.Empty(other.Stdout);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("get")]
    [InlineData("put", "--no-such-option")]
    public async Task Bad_arguments_exit_1_with_an_error_line_and_no_json(params string[] args)
    {
        var result = await Hds(args);

        AssertError(1, "InvalidRequest", result);
        Assert.Empty(result.Stdout);
    }

    [Fact]
    public async Task Help_documents_the_default_retention_class_and_the_exit_codes()
    {
        var help = await Raw("--help");
        var putHelp = await Raw("put", "--help");

        AssertExit(0, help);
        Assert.Contains("20 years COMPLIANCE", help.StdoutText, StringComparison.Ordinal);
        Assert.Contains("Exit codes", help.StdoutText, StringComparison.Ordinal);
        Assert.Contains("20 years COMPLIANCE", putHelp.StdoutText, StringComparison.Ordinal);
    }
}
