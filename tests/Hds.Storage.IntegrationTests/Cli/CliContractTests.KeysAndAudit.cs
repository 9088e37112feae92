using System.Text.Json;

namespace Hds.Storage.IntegrationTests.Cli;

/// <summary><c>hds keys</c> and <c>hds audit</c> against every backend.</summary>
public abstract partial class CliContractTests<TBackend>
{
    protected static readonly string[] CarePurpose = ["--actor", "op-42", "--tenant", Tenant, "--purpose", "care"];

    /// <summary>A key administrator of the operating tenant: the only context the key ring accepts by default.</summary>
    protected static readonly string[] KeyManagement = ["--actor", "officer-12", "--tenant", "operator", "--purpose", "key-management", "--role", "key-admin"];

    [Fact]
    public async Task Keys_list_rotate_and_revoke_manage_the_key_used_by_new_writes()
    {
        await PutAsync(Prefix + "before-rotation", RandomBytes(100));
        var before = await Raw(["keys", "list", .. Backend.BackendArgs, .. KeyManagement]);
        AssertExit(0, before);
        var oldCurrent = Assert.Single(before.Json().EnumerateArray(), k => k.GetProperty("current").GetBoolean()).GetProperty("id").GetString();

        var rotated = await Raw(["keys", "rotate", .. Backend.BackendArgs, .. KeyManagement]);
        AssertExit(0, rotated);
        var newId = rotated.Json().GetProperty("id").GetString()!;
        Assert.NotEqual(oldCurrent, newId);
        Assert.True(rotated.Json().GetProperty("current").GetBoolean());
        Assert.Equal(JsonValueKind.Null, rotated.Json().GetProperty("revoked").ValueKind);
        var underNew = await PutAsync(Prefix + "after-rotation", RandomBytes(100));
        Assert.Equal(newId, underNew.GetProperty("keyId").GetString());
        AssertExit(0, await Hds("verify", Prefix + "before-rotation")); // old objects stay readable

        var revoked = await Raw(["keys", "revoke", newId, .. Backend.BackendArgs, .. KeyManagement]);
        AssertExit(0, revoked);
        Assert.NotEqual(JsonValueKind.Null, revoked.Json().GetProperty("revoked").ValueKind);
        Assert.False(revoked.Json().GetProperty("current").GetBoolean());
        var after = await Raw(["keys", "list", .. Backend.BackendArgs, .. KeyManagement]);
        Assert.Equal(oldCurrent, Assert.Single(after.Json().EnumerateArray(), k => k.GetProperty("current").GetBoolean()).GetProperty("id").GetString());
        AssertError(4, "Integrity", await Hds("verify", Prefix + "after-rotation")); // refused: its key is revoked
        AssertError(5, "NotFound", await Raw(["keys", "revoke", "no-such-key", .. Backend.BackendArgs, .. KeyManagement]));
    }

    [Fact]
    public async Task Keys_commands_without_context_or_with_another_purpose_exit_3_change_nothing_and_are_audited()
    {
        var written = await PutAsync(Prefix + "keys-denied", RandomBytes(100));
        var keyId = written.GetProperty("keyId").GetString()!;
        var before = await Raw(["keys", "list", .. Backend.BackendArgs, .. KeyManagement]);
        AssertExit(0, before);

        var anonymous = await Raw(["keys", "rotate", .. Backend.BackendArgs]);
        var rotate = await Raw(["keys", "rotate", .. Backend.BackendArgs, .. CarePurpose]);
        var revoke = await Raw(["keys", "revoke", keyId, .. Backend.BackendArgs, .. CarePurpose]);
        var rewrap = await Raw(["keys", "rewrap", .. Backend.BackendArgs, .. CarePurpose]);
        var list = await Raw(["keys", "list", .. Backend.BackendArgs, .. CarePurpose]);

        AssertError(3, "AccessDenied", anonymous);
        Assert.Contains("--actor", anonymous.Stderr, StringComparison.Ordinal);
        foreach (var denied in new[] { rotate, revoke, rewrap, list })
        {
            AssertError(3, "AccessDenied", denied);
            Assert.Empty(denied.Stdout);
        }

        var after = await Raw(["keys", "list", .. Backend.BackendArgs, .. KeyManagement]);
        Assert.Equal(before.StdoutText, after.StdoutText); // no key created, none revoked
        AssertExit(0, await Hds("verify", Prefix + "keys-denied"));
        var tail = await Hds("audit", "tail", "--n", "20");
        AssertExit(0, tail);
        var records = tail.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        foreach (var op in new[] { "RotateKey", "RevokeKey", "RewrapKeys", "ListKeys" })
        {
            Assert.Contains(records, r => r.GetProperty("operation").GetString() == op && r.GetProperty("outcome").GetString() == "Denied"
                && r.GetProperty("reason").GetString() == "purpose-not-allowed" && r.GetProperty("purpose").GetString() == "care");
        }

        Assert.Contains(records, r => r.GetProperty("operation").GetString() == "RevokeKey" && r.TryGetProperty("keyId", out var id) && id.GetString() == keyId);
    }

    [Fact]
    public async Task Keys_rewrap_with_unchanged_certificates_rewraps_nothing()
    {
        await PutAsync(Prefix + "rewrap", RandomBytes(10));

        var rewrap = await Raw(["keys", "rewrap", .. Backend.BackendArgs, .. KeyManagement]);

        AssertExit(0, rewrap);
        Assert.Equal(0, rewrap.Json().GetProperty("rewrapped").GetInt32());
        Assert.Empty(rewrap.Json().GetProperty("keys").EnumerateArray());
    }

    [Fact]
    public async Task Audit_verify_prints_an_intact_trail_and_requires_the_audit_purpose()
    {
        await PutAsync(Prefix + "audited", RandomBytes(10));
        var from = DateTimeOffset.UtcNow.AddHours(-1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);

        var verify = await Hds("audit", "verify", "--from", from);
        var wrongPurpose = await Raw(["audit", "verify", .. Backend.BackendArgs, .. CarePurpose]);

        AssertExit(0, verify);
        Assert.True(verify.Json().GetProperty("valid").GetBoolean());
        Assert.True(verify.Json().GetProperty("recordsVerified").GetInt64() >= 1);
        Assert.Empty(verify.Json().GetProperty("problems").EnumerateArray());
        AssertError(3, "AccessDenied", wrongPurpose);
        Assert.Empty(wrongPurpose.Stdout);
        AssertError(1, "InvalidRequest", await Hds("audit", "verify", "--from", "yesterday"));
    }

    [Fact]
    public async Task Audit_tail_prints_one_json_record_per_line_including_this_tests_write()
    {
        var key = Prefix + "tailed";
        await PutAsync(key, RandomBytes(10));

        var tail = await Hds("audit", "tail", "--n", "5");

        AssertExit(0, tail);
        var lines = tail.StdoutText.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(lines.Length, 1, 5);
        var records = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.All(records, r => Assert.Equal(Tenant, r.GetProperty("tenant").GetString()));
        Assert.Contains(records, r => r.GetProperty("operation").GetString() == "Put" && r.GetProperty("key").GetString() == key);
        AssertError(3, "AccessDenied", await Raw(["audit", "tail", .. Backend.BackendArgs, .. CarePurpose]));
        AssertError(1, "InvalidRequest", await Hds("audit", "tail", "--n", "0"));
    }
}
