using System.Globalization;
using System.Security.Cryptography;

namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>
/// <c>--output json|human</c>: JSON stays the default when stdout is redirected (as here), the human form shows the same values, and the
/// form never changes content written to stdout or exit codes. Rendering does not depend on the backend: the embedded store is enough.
/// </summary>
public sealed partial class LocalCliTests
{
    [Fact]
    public async Task Object_commands_in_human_form_show_the_values_of_their_json()
    {
        var key = Prefix + "human.pdf";
        var content = RandomBytes(5000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(content));

        var put = await Hds("put", WriteInput(content), key, "-o", "human");
        AssertHuman(put, key, sha, "5,000 bytes", "Compliance until", "default", "op-42");
        var version = (await Hds("head", key)).Json().GetProperty("versionId").GetString()!;
        AssertHuman(await Hds("head", key, "--output", "human"), key, version, "application/octet-stream", "Compliance until");
        AssertHuman(await Hds("verify", key, "-o", "human"), "Verified", version, sha);
        var output = Path.Combine(WorkDir, "human.out");
        AssertHuman(await Hds("get", key, "--out", output, "-o", "human"), key, version);
        Assert.Equal(content, await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken));
        var hold = await HdsAs(LegalHold, "legal-hold", key, "on", "-o", "human");
        AssertHuman(hold, version);
        Assert.Matches(@"Legal hold +on\n", hold.StdoutText);
        AssertHuman(await HdsAs(RetentionExtension, "retention", "extend", key, "--until", "2060-01-01", "-o", "human"), version, "Compliance until 2060-01-01 00:00:00 UTC");
        AssertHuman(await Hds("ls", Prefix, "-o", "human"), "1 object(s)", key);
        AssertExit(0, await HdsAs(LegalHold, "legal-hold", key, "off"));
        var delete = await Hds("delete", key, "-o", "human");
        var marker = (await Hds("versions", key)).Json()[0].GetProperty("versionId").GetString()!;
        AssertHuman(delete, key, marker, "delete marker");
        AssertHuman(await Hds("versions", key, "-o", "human"), marker, version, "delete marker");
        AssertHuman(await Hds("bucket", "check", "-o", "human"), Backend.StorePath, "Compliant", "yes");
    }

    [Fact]
    public async Task Keys_audit_and_config_in_human_form_show_the_values_of_their_json()
    {
        var store = await NewStoreAsync("human-store");
        string[] local = ["--local", store];
        var key = "audited-" + Guid.NewGuid().ToString("N")[..8];
        AssertExit(0, await Raw(["put", WriteInput([1, 2, 3]), key, .. local, .. Context]));

        var first = (await Raw(["keys", "list", .. local, .. KeyManagement])).Json()[0].GetProperty("id").GetString()!;
        AssertHuman(await Raw(["keys", "list", "-o", "human", .. local, .. KeyManagement]), "1 key(s)", first);
        var rotated = await Raw(["keys", "rotate", "-o", "human", .. local, .. KeyManagement]);
        var second = (await Raw(["keys", "list", .. local, .. KeyManagement])).Json()[1].GetProperty("id").GetString()!;
        AssertHuman(rotated, second, "Current", "yes");
        AssertHuman(await Raw(["keys", "rewrap", "-o", "human", .. local, .. KeyManagement]), "Nothing to rewrap");
        var revoked = await Raw(["keys", "revoke", second, "-o", "human", .. local, .. KeyManagement]);
        AssertHuman(revoked, second, DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Assert.DoesNotMatch(@"Revoked +-", revoked.StdoutText);

        AssertHuman(await Raw(["audit", "verify", "-o", "human", .. local, .. Context]), "intact", "Records verified");
        var tail = await Raw(["audit", "tail", "-o", "human", .. local, .. Context]);
        AssertHuman(tail, $"Put Succeeded actor=op-42 role=operator tenant={Tenant} purpose=audit key={key}");
        var lastTwo = await Raw(["audit", "tail", "--n", "2", "-o", "human", .. local, .. Context]);
        Assert.Equal(2, lastTwo.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length); // one line per record

        var config = await CliRunner.RunAsync(["config", "show", "-o", "human", .. local],
            environment: new Dictionary<string, string> { ["HDS_S3__SECRETKEY"] = "secret-canary" }, workingDirectory: WorkDir);
        AssertHuman(config, "HdsStorage:Local:Path", store, "Valid");
        Assert.DoesNotContain("canary", config.StdoutText + config.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_is_the_default_when_stdout_is_redirected_and_HDS_OUTPUT_or_the_flag_choose_otherwise()
    {
        var key = Prefix + "forms";
        await PutAsync(key, RandomBytes(100));
        var human = new Dictionary<string, string> { ["HDS_OUTPUT"] = "human" };

        var byDefault = await Hds("head", key);
        var json = await Hds("head", key, "-o", "json");
        var fromEnvironment = await CliRunner.RunAsync(["head", key, .. Backend.BackendArgs, .. Context], environment: human, workingDirectory: WorkDir);
        var flagWins = await CliRunner.RunAsync(["head", key, "--output", "json", .. Backend.BackendArgs, .. Context], environment: human, workingDirectory: WorkDir);

        Assert.Equal(key, byDefault.Json().GetProperty("key").GetString());
        Assert.Equal(byDefault.Json().GetProperty("versionId").GetString(), json.Json().GetProperty("versionId").GetString());
        Assert.Equal(byDefault.Json().GetRawText(), json.Json().GetRawText());
        AssertHuman(fromEnvironment, key);
        Assert.Equal(key, flagWins.Json().GetProperty("key").GetString());
    }

    [Fact]
    public async Task An_unknown_output_form_is_a_usage_error_before_anything_is_written()
    {
        var key = Prefix + "bogus-form";

        var flag = await Hds("put", WriteInput([1]), key, "--output", "bogus");
        var environment = await CliRunner.RunAsync(["put", WriteInput([1]), key, .. Backend.BackendArgs, .. Context],
            environment: new Dictionary<string, string> { ["HDS_OUTPUT"] = "yaml" }, workingDirectory: WorkDir);

        AssertError(1, "InvalidRequest", flag);
        Assert.Empty(flag.Stdout);
        AssertError(1, "InvalidRequest", environment);
        Assert.Contains("HDS_OUTPUT", environment.Stderr, StringComparison.Ordinal);
        AssertError(5, "NotFound", await Hds("head", key));
    }

    [Fact]
    public async Task Get_to_stdout_writes_the_same_bytes_in_both_forms_and_exit_codes_do_not_change()
    {
        var key = Prefix + "raw.bin";
        var content = RandomBytes(100_000);
        content[0] = 0x1B; // an escape byte: nothing may be rendered or filtered
        await PutAsync(key, content);

        var json = await Hds("get", key, "--out", "-", "-o", "json");
        var human = await Hds("get", key, "--out", "-", "-o", "human");

        Assert.Equal(content, json.Stdout);
        Assert.Equal(content, human.Stdout);
        AssertError(5, "NotFound", await Hds("get", Prefix + "absent", "--out", "-", "-o", "human"));
        AssertError(5, "NotFound", await Hds("head", Prefix + "absent", "-o", "human"));
    }

    [Fact]
    public async Task A_store_without_object_lock_in_human_form_says_so_and_still_exits_2()
    {
        var store = Path.Combine(WorkDir, "unlocked-human");
        Directory.CreateDirectory(store);
        await File.WriteAllTextAsync(Path.Combine(store, "hds-store.json"), """{"Versioning":"Enabled","ObjectLockEnabled":false,"Layout":1}""", TestContext.Current.CancellationToken);

        var check = await Raw(["bucket", "check", "-o", "human", "--local", store, .. Context]);

        AssertError(2, "Configuration", check);
        Assert.Matches(@"Object lock +NOT enabled\n", check.StdoutText);
        Assert.Matches(@"Compliant +NO: not fit for health data\n", check.StdoutText);
    }

    /// <summary>Exit 0, plain text (no JSON, no escape codes in a pipe) holding every expected value.</summary>
    private static void AssertHuman(CliResult result, params string[] expected)
    {
        AssertExit(0, result);
        var text = result.StdoutText;
        Assert.False(text.TrimStart().StartsWith('{') || text.TrimStart().StartsWith('['), $"expected the human form, got {result}");
        Assert.DoesNotContain('\u001b', text);
        foreach (var value in expected)
        {
            Assert.Contains(value, text, StringComparison.Ordinal);
        }
    }
}
