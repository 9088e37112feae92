using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hds.Storage.Backends.Local;
using Hds.Storage.Retention;
using Hds.Storage.Models;

namespace Hds.Storage.IntegrationTests.Contract;

public sealed class LocalTarget : StorageTarget
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hds-local-" + Guid.NewGuid().ToString("N"));

    public override string Name => "local";

    public override HdsStorageClient CreateClient(Action<HdsStorageOptions>? configure = null)
    {
        var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = _root } };
        ContractDefaults.Apply(options);
        configure?.Invoke(options);
        return new HdsStorageClient(options);
    }

    public override Task<HdsStorageClient> CreateNonCompliantClientAsync()
    {
        var dir = Path.Combine(_root + "-nolock");
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "hds-store.json"), """{"Versioning":"Enabled","ObjectLockEnabled":false,"Layout":1}""");
        var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = dir } };
        return Task.FromResult(new HdsStorageClient(options));
    }

    public override async Task<HdsRetentionInfo> ReadLockDirectlyAsync(string physicalKey, string versionId)
    {
        var json = JsonNode.Parse(await File.ReadAllTextAsync(RecordPath(physicalKey, versionId)))!;
        var mode = Enum.Parse<HdsRetentionMode>(json["Mode"]!.GetValue<string>());
        var until = json["RetainUntil"]?.GetValue<DateTimeOffset?>();
        return new HdsRetentionInfo(mode, until, json["LegalHold"]!.GetValue<bool>());
    }

    public override async Task<bool> TryDestroyVersionDirectlyAsync(string physicalKey, string versionId)
    {
        // The local store's own refusal is what protects it (there is no server): go through the backend, not the client.
        var backend = new LocalBackend(new HdsLocalStorageOptions { Path = _root }, TimeProvider.System);
        try
        {
            await backend.DeleteVersionAsync(physicalKey, versionId, CancellationToken.None);
            return false;
        }
        catch (HdsObjectLockedException)
        {
            return true;
        }
    }

    public override Task<byte[]> ReadStoredBytesDirectlyAsync(string physicalKey, string versionId) =>
        File.ReadAllBytesAsync(Path.ChangeExtension(RecordPath(physicalKey, versionId), ".bin"));

    public override async Task WriteVersionDirectlyAsync(string physicalKey, string templateVersionId, byte[] stored)
    {
        var json = JsonNode.Parse(await File.ReadAllTextAsync(RecordPath(physicalKey, templateVersionId)))!.AsObject();
        var newId = "ffffffffffffffff" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        json["VersionId"] = newId;
        json["Length"] = stored.Length;
        await File.WriteAllBytesAsync(Path.ChangeExtension(RecordPath(physicalKey, newId), ".bin"), stored);
        await File.WriteAllTextAsync(RecordPath(physicalKey, newId), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    public override Task<int> PendingMultipartUploadsAsync()
    {
        var tmp = Path.Combine(_root, "tmp");
        return Task.FromResult(Directory.Exists(tmp) ? Directory.GetFiles(tmp).Length : 0);
    }

    public string Root => _root;

    internal override Backends.StorageBackend OpenBackend() => new LocalBackend(new HdsLocalStorageOptions { Path = _root }, TimeProvider.System);

    public override ValueTask DisposeAsync()
    {
        foreach (var dir in new[] { _root, _root + "-nolock" })
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        return ValueTask.CompletedTask;
    }

    private string RecordPath(string physicalKey, string versionId) =>
        Path.Combine(_root, "objects", Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(physicalKey))), versionId + ".json");
}
