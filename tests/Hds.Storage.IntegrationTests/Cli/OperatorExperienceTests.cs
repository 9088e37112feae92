using System.Security.Cryptography.X509Certificates;
using Hds.Storage.IntegrationTests.Infrastructure;
using Hds.Storage.Models;

namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>
/// Issue 18: the CLI never misleads an operator. A mistyped store is refused, not created; the library's warnings reach the operator;
/// <c>get</c> says what it verified; refusals say what is needed (the date, the purpose, the role); configuration mistakes are exit 2.
/// </summary>
public sealed class OperatorExperienceTests : IDisposable
{
    private static readonly string[] Context = ["--actor", "op-42", "--tenant", "msa", "--purpose", "claim-processing"];

    private readonly string _work = Directory.CreateTempSubdirectory("hds-operator-").FullName;

    public void Dispose() => TempDirectories.Delete(_work);

    private Task<CliResult> Hds(params string[] args) => CliRunner.RunAsync(args, workingDirectory: _work);

    private async Task<string> NewStoreAsync()
    {
        var store = Path.Combine(_work, "store");
        var created = await Hds(["bucket", "create", "--local", store, .. Context, "-o", "json"]);
        Assert.True(created.ExitCode == 0, created.ToString());
        return store;
    }

    [Theory]
    [InlineData("ls")]
    [InlineData("head", "doc")]
    [InlineData("versions", "doc")]
    [InlineData("get", "doc", "--out", "copy.bin")]
    [InlineData("bucket", "check")]
    [InlineData("audit", "tail", "--role", "auditor")]
    [InlineData("keys", "list")]
    public async Task A_missing_store_is_exit_2_with_advice_and_read_only_commands_create_nothing(params string[] command)
    {
        // A typo next to a real store, and a path whose parents do not exist.
        await NewStoreAsync();
        foreach (var local in new[] { "./stor", Path.Combine(_work, "nonexistent", "x", "y") })
        {
            var result = await Hds([.. command, "--local", local, .. Context]);

            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains("error: Configuration: No embedded store at", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("create the store with 'hds bucket create --local ", result.Stderr, StringComparison.Ordinal);
            Assert.Empty(result.Stdout);
        }

        Assert.False(Directory.Exists(Path.Combine(_work, "stor")));
        Assert.False(Directory.Exists(Path.Combine(_work, "nonexistent")));
        Assert.False(File.Exists(Path.Combine(_work, "copy.bin")));
    }

    [Fact]
    public async Task Bucket_create_is_the_command_that_creates_a_store_with_its_parents_and_a_plain_directory_is_not_a_store()
    {
        var nested = Path.Combine(_work, "a", "b", "store");
        var created = await Hds(["bucket", "create", "--local", nested, .. Context, "-o", "json"]);
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.True(File.Exists(Path.Combine(nested, "hds-store.json")));
        Assert.Equal(0, (await Hds(["ls", "--local", nested, .. Context, "-o", "json"])).ExitCode);

        var plain = Directory.CreateDirectory(Path.Combine(_work, "plain")).FullName;
        var ls = await Hds(["ls", "--local", plain, .. Context]);
        Assert.Equal(2, ls.ExitCode);
        Assert.Contains("is not an embedded store", ls.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(plain)); // nothing written into it
    }

    [Fact]
    public async Task Bucket_check_and_config_show_list_the_librarys_warnings_and_verbose_shows_its_log_on_stderr()
    {
        var store = await NewStoreAsync();

        var quiet = await Hds(["bucket", "check", "--local", store, .. Context, "-o", "json"]);
        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.DoesNotContain("warn:", quiet.Stderr, StringComparison.Ordinal);
        var warnings = quiet.Json().GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
        Assert.Contains(warnings, w => w.Contains("NOT HDS-grade hosting", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("DEVELOPMENT certificate", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("no escrow", StringComparison.Ordinal));
        Assert.Contains(warnings, w => w.Contains("development signer", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings, w => w.Contains("HdsDevelopmentCertificate", StringComparison.Ordinal)); // no C# for operators

        foreach (var verbose in new[] { "--verbose", "-v" })
        {
            var loud = await Hds(["bucket", "check", verbose, "--local", store, .. Context, "-o", "json"]);
            Assert.True(loud.ExitCode == 0, loud.ToString());
            Assert.Contains("warn: Hds.Storage[1] The embedded local store at", loud.Stderr, StringComparison.Ordinal);
            Assert.Contains("warn: Hds.Storage[23] ", loud.Stderr, StringComparison.Ordinal);
            Assert.Contains("warn: Hds.Storage[24] ", loud.Stderr, StringComparison.Ordinal);
            Assert.Contains("warn: Hds.Storage.Audit[105] ", loud.Stderr, StringComparison.Ordinal);
            Assert.Equal(quiet.Json().GetProperty("warnings").GetArrayLength(), loud.Json().GetProperty("warnings").GetArrayLength()); // stdout unchanged
        }

        var human = await Hds(["bucket", "check", "--local", store, .. Context, "-o", "human"]);
        Assert.Contains("Warnings", human.StdoutText, StringComparison.Ordinal);
        Assert.Contains("DEVELOPMENT certificate", human.StdoutText, StringComparison.Ordinal);

        var show = await Hds(["config", "show", "--local", store, "-o", "json"]);
        Assert.True(show.ExitCode == 0, show.ToString());
        var configured = show.Json().GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
        Assert.Equal(4, configured.Count); // the store exists: no "No embedded store" warning
        Assert.Contains(configured, w => w.Contains("--escrow-cert", StringComparison.Ordinal));
        Assert.Contains(configured, w => w.Contains("--audit-cert", StringComparison.Ordinal));

        var absent = await Hds(["config", "show", "--local", Path.Combine(_work, "not-yet"), "-o", "json"]);
        Assert.Equal(0, absent.ExitCode);
        Assert.Contains(absent.Json().GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("No embedded store at", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(_work, "not-yet"))); // config show creates nothing

        // Certificates given: the development warnings go, as they do from the library's log.
        var withCertificates = await Hds(["config", "show", "--local", store, "--cert", TestCertificates.Files.Operational, "--escrow-cert", TestCertificates.Files.Escrow,
            "--audit-cert", TestCertificates.Files.AuditSigner, "-o", "json"]);
        var left = withCertificates.Json().GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
        Assert.Single(left);
        Assert.Contains("NOT HDS-grade hosting", left[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_reports_the_size_and_sha256_it_verified_in_json_and_on_a_terminal()
    {
        var store = await NewStoreAsync();
        var input = Path.Combine(_work, "scan.bin");
        await File.WriteAllBytesAsync(input, [.. Enumerable.Range(0, 70_000).Select(i => (byte)i)], TestContext.Current.CancellationToken);
        var receipt = (await Hds(["put", input, "doc", "--local", store, .. Context, "-o", "json"])).Json();

        var get = await Hds(["get", "doc", "--out", "copy.bin", "--local", store, .. Context, "-o", "json"]);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(70_000, get.Json().GetProperty("size").GetInt64());
        Assert.Equal(receipt.GetProperty("sha256").GetString(), get.Json().GetProperty("sha256").GetString());

        var range = await Hds(["get", "doc", "--out", "part.bin", "--range", "100:50", "--local", store, .. Context, "-o", "json"]);
        Assert.True(range.ExitCode == 0, range.ToString());
        Assert.Equal(50, range.Json().GetProperty("rangeBytes").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, range.Json().GetProperty("sha256").ValueKind); // not the receipt's digest

        var human = await Hds(["get", "doc", "--out", "copy2.bin", "--local", store, .. Context, "-o", "human"]);
        Assert.Contains("70,000 bytes", human.StdoutText, StringComparison.Ordinal);
        Assert.Contains(receipt.GetProperty("sha256").GetString()!, human.StdoutText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_out_a_directory_or_into_a_missing_directory_is_a_usage_error_before_anything_is_read()
    {
        var store = await NewStoreAsync();
        var input = Path.Combine(_work, "doc.txt");
        await File.WriteAllTextAsync(input, "a document", TestContext.Current.CancellationToken);
        Assert.Equal(0, (await Hds(["put", input, "doc", "--local", store, .. Context])).ExitCode);
        var directory = Directory.CreateDirectory(Path.Combine(_work, "out")).FullName;

        var intoDirectory = await Hds(["get", "doc", "--out", directory, "--local", store, .. Context]);
        Assert.True(intoDirectory.ExitCode == 1, intoDirectory.ToString()); // was 10 (Unknown: "Is a directory"), after reading it all
        Assert.Contains("error: InvalidRequest: --out names a directory", intoDirectory.Stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(directory)); // no partial file left in it

        var missingDirectory = await Hds(["get", "doc", "--out", Path.Combine(_work, "absent", "copy.txt"), "--local", store, .. Context]);
        Assert.True(missingDirectory.ExitCode == 1, missingDirectory.ToString());
        Assert.Contains("The directory of --out", missingDirectory.Stderr, StringComparison.Ordinal);

        // Refused before the store was asked: neither attempt is a read in the audit trail, and a missing key is still a usage error.
        var tail = await Hds(["audit", "tail", "--n", "50", "--local", store, "--actor", "dpo-1", "--tenant", "msa", "--purpose", "audit", "--role", "auditor", "-o", "json"]);
        Assert.True(tail.ExitCode == 0, tail.ToString());
        Assert.DoesNotContain("\"operation\":\"Get\"", tail.StdoutText, StringComparison.Ordinal);
        Assert.Equal(1, (await Hds(["get", "no-such-key", "--out", directory, "--local", store, .. Context])).ExitCode);
    }

    [Fact]
    public async Task An_output_that_cannot_be_written_is_exit_10_the_other_failure_with_the_systems_reason()
    {
        // The last code of the catalogue: nothing was wrong with the request, the configuration or the storage; the output device is full.
        var store = await NewStoreAsync();
        var input = Path.Combine(_work, "doc.txt");
        await File.WriteAllTextAsync(input, "a document", TestContext.Current.CancellationToken);
        Assert.Equal(0, (await Hds(["put", input, "doc", "--local", store, .. Context])).ExitCode);

        var full = await CliRunner.RunProcessAsync("bash", ["-c", "exec \"$@\" > /dev/full", "bash", CliRunner.DotnetHost, CliRunner.CliDll,
            "get", "doc", "--out", "-", "--local", store, .. Context], workingDirectory: _work);
        Assert.True(full.ExitCode == 10, full.ToString());
        Assert.Contains("error: Unknown: No space left on device", full.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_list_prints_exactly_the_fields_its_help_names()
    {
        var store = await NewStoreAsync();
        string[] keyAdmin = ["--actor", "op-42", "--tenant", "operator", "--purpose", "key-management", "--role", "key-admin"];
        Assert.Equal(0, (await Hds(["keys", "rotate", "--local", store, .. keyAdmin])).ExitCode); // a key to list

        var help = await Hds(["keys", "list", "--help"]);
        var named = System.Text.RegularExpressions.Regex.Match(help.StdoutText, @"JSON array: ([a-z, ]+)\)").Groups[1].Value
            .Split(", ").Order(StringComparer.Ordinal).ToList();
        var list = await Hds(["keys", "list", "--local", store, .. keyAdmin, "-o", "json"]);
        Assert.True(list.ExitCode == 0, list.ToString());
        var printed = list.Json().EnumerateArray().First().EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(named);
        Assert.Equal(named, printed);
    }

    [Fact]
    public async Task The_cli_prints_audit_records_in_the_librarys_shape_not_the_stored_one()
    {
        var store = await NewStoreAsync();
        var tail = await Hds(["audit", "tail", "--n", "5", "--local", store, "--actor", "dpo-1", "--tenant", "msa", "--purpose", "audit", "--role", "auditor", "-o", "json"]);
        Assert.True(tail.ExitCode == 0, tail.ToString());

        // The names an application gets serializing HdsAuditRecord (the README's /audit endpoint), not the stored line's (seq, op, actor).
        var library = typeof(HdsAuditRecord).GetProperties().Select(p => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(p.Name)).ToHashSet(StringComparer.Ordinal);
        var lines = tail.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(lines);
        foreach (var line in lines)
        {
            var names = System.Text.Json.JsonDocument.Parse(line).RootElement.EnumerateObject().Select(p => p.Name).ToList();
            Assert.Subset(library, names.ToHashSet(StringComparer.Ordinal));
            Assert.Contains("sequence", names);
            Assert.Contains("actorId", names);
            Assert.DoesNotContain("seq", names);
        }
    }

    [Fact]
    public async Task An_unknown_retention_class_names_the_configuration_key_and_the_classes_not_a_csharp_member()
    {
        var store = await NewStoreAsync();
        var input = Path.Combine(_work, "doc.txt");
        await File.WriteAllTextAsync(input, "a document", TestContext.Current.CancellationToken);

        var result = await Hds(["put", input, "doc", "--class", "invoice", "--local", store, .. Context]);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("(configuration HdsStorage:RetentionClasses) or use one of: default, short.", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("HdsStorageOptions", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("invoice", result.Stderr, StringComparison.Ordinal); // caller input is not echoed
    }

    [Fact]
    public async Task Shortening_a_retention_says_the_current_date_and_a_refused_purpose_says_the_purpose_and_role_needed()
    {
        var store = await NewStoreAsync();
        var input = Path.Combine(_work, "doc.txt");
        await File.WriteAllTextAsync(input, "a document", TestContext.Current.CancellationToken);
        Assert.Equal(0, (await Hds(["put", input, "doc", "--class", "short", "--local", store, .. Context])).ExitCode);
        var head = (await Hds(["head", "doc", "--local", store, .. Context, "-o", "json"])).Json();
        var until = head.GetProperty("retention").GetProperty("retainUntil").GetDateTimeOffset();

        var shorter = until.AddHours(-1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var shorten = await Hds(["retention", "extend", "doc", "--until", shorter, "--local", store, "--actor", "op-42", "--tenant", "msa", "--purpose", "retention", "--role", "legal"]);
        Assert.Equal(6, shorten.ExitCode);
        Assert.Contains($"the version is retained until {until.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss'Z'}", shorten.Stderr, StringComparison.Ordinal);

        var wrongPurpose = await Hds(["retention", "extend", "doc", "--until", "2099-01-01", "--local", store, .. Context, "--role", "legal"]);
        Assert.Equal(3, wrongPurpose.ExitCode);
        Assert.Contains("(purpose-not-allowed). It needs the purpose retention, the role legal.", wrongPurpose.Stderr, StringComparison.Ordinal);

        var noAuditor = await Hds(["audit", "tail", "--local", store, "--actor", "op-42", "--tenant", "msa", "--purpose", "audit"]);
        Assert.Equal(3, noAuditor.ExitCode);
        Assert.Contains("It needs the purpose audit, the role auditor.", noAuditor.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_garbage_or_missing_configuration_file_is_a_configuration_error_exit_2()
    {
        await File.WriteAllTextAsync(Path.Combine(_work, "hds.json"), "{ this is not json", TestContext.Current.CancellationToken);
        string[][] commands = [["ls", .. Context], ["config", "show"]];
        foreach (var args in commands)
        {
            var result = await Hds(args);
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("error: Configuration: The configuration file 'hds.json' is not valid JSON", result.Stderr, StringComparison.Ordinal);
        }

        var absent = await Hds(["ls", "--config", "absent.json", .. Context]);
        Assert.Equal(2, absent.ExitCode);
        Assert.Contains("error: Configuration: The configuration file 'absent.json' does not exist", absent.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_audit_spool_directory_that_is_a_file_is_a_configuration_error_exit_2_listed_by_config_show()
    {
        var store = await NewStoreAsync();
        var file = Path.Combine(_work, "spool.txt");
        await File.WriteAllTextAsync(file, "x", TestContext.Current.CancellationToken);
        var environment = new Dictionary<string, string> { ["HDS_AUDIT__SPOOLDIRECTORY"] = file };

        var ls = await CliRunner.RunAsync(["ls", "--local", store, .. Context], environment: environment, workingDirectory: _work);
        Assert.True(ls.ExitCode == 2, ls.ToString()); // was 10 (AuditUnavailable) at the first operation
        Assert.Contains("error: Configuration: ", ls.Stderr, StringComparison.Ordinal);
        Assert.Contains("Audit.SpoolDirectory names a file", ls.Stderr, StringComparison.Ordinal);
        Assert.Contains("HdsStorage:Audit:SpoolDirectory", ls.Stderr, StringComparison.Ordinal);

        var show = await CliRunner.RunAsync(["config", "show", "--local", store, "-o", "json"], environment: environment, workingDirectory: _work);
        Assert.Equal(0, show.ExitCode);
        Assert.False(show.Json().GetProperty("valid").GetBoolean());
        Assert.Contains(show.Json().GetProperty("problems").EnumerateArray(), p => p.GetString()!.Contains("Audit.SpoolDirectory names a file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_setting_of_the_wrong_type_in_the_file_or_the_environment_is_a_configuration_error_exit_2()
    {
        var store = await NewStoreAsync();
        var folder = Directory.CreateDirectory(Path.Combine(_work, "configured")).FullName;
        await File.WriteAllTextAsync(Path.Combine(folder, "hds.json"), """{ "HdsStorage": { "Encryption": { "SegmentSize": "big" } } }""", TestContext.Current.CancellationToken);
        string[][] commands = [["ls", "--local", store, .. Context], ["config", "show", "--local", store]];
        foreach (var args in commands)
        {
            var result = await CliRunner.RunAsync(args, workingDirectory: folder);
            Assert.True(result.ExitCode == 2, result.ToString()); // was 1, a usage error, although the command line was right
            Assert.Contains("error: Configuration: Invalid setting in the configuration file 'hds.json'", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("HdsStorage:Encryption:SegmentSize", result.Stderr, StringComparison.Ordinal);
        }

        var environment = await CliRunner.RunAsync(["ls", "--local", store, .. Context], environment: new Dictionary<string, string> { ["HDS_ENCRYPTION__SEGMENTSIZE"] = "big" }, workingDirectory: _work);
        Assert.True(environment.ExitCode == 2, environment.ToString());
        Assert.Contains("error: Configuration: Invalid setting in the HDS_* environment variables", environment.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_checkpoint_certificate_that_is_text_a_pem_without_key_or_a_pfx_without_its_password_is_exit_2_with_the_setting()
    {
        var store = await NewStoreAsync();
        var text = Path.Combine(_work, "notes.txt");
        await File.WriteAllTextAsync(text, "not a certificate", TestContext.Current.CancellationToken);
        var pfx = Path.Combine(_work, "signer.pfx");
        await File.WriteAllBytesAsync(pfx, TestCertificates.CreateSigning("hds-op-signer").Export(X509ContentType.Pkcs12, "right"), TestContext.Current.CancellationToken);

        foreach (var certificate in new[] { text, TestCertificates.Files.AuditSignerPublic, pfx })
        {
            var result = await Hds(["ls", "--local", store, "--audit-cert", certificate, .. Context]);
            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.Contains("error: Configuration: The audit checkpoint certificate file", result.Stderr, StringComparison.Ordinal);
            Assert.Contains("HDS_AUDIT_CERT_PASSWORD", result.Stderr, StringComparison.Ordinal);
        }

        var wrong = await CliRunner.RunAsync(["ls", "--local", store, "--audit-cert", pfx, .. Context], environment: new Dictionary<string, string> { ["HDS_AUDIT_CERT_PASSWORD"] = "wrong" }, workingDirectory: _work);
        Assert.Equal(2, wrong.ExitCode);
        var right = await CliRunner.RunAsync(["ls", "--local", store, "--audit-cert", pfx, .. Context, "-o", "json"], environment: new Dictionary<string, string> { ["HDS_AUDIT_CERT_PASSWORD"] = "right" }, workingDirectory: _work);
        Assert.True(right.ExitCode == 0, right.ToString());
    }
}
