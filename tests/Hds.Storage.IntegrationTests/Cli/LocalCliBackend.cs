using Hds.Storage.IntegrationTests.Infrastructure;

namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>The embedded local store in a fresh temporary directory.</summary>
public sealed class LocalCliBackend : ICliBackend
{
    public string StorePath { get; } = Path.Combine(Path.GetTempPath(), "hds-cli-tests", Guid.NewGuid().ToString("N"));

    public IReadOnlyList<string> BackendArgs => ["--local", StorePath];

    public IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>();

    // --local needs an existing store (issue 18): created as an operator does, with 'hds bucket create --local DIR'.
    public async ValueTask InitializeAsync()
    {
        var created = await CliRunner.RunAsync(["bucket", "create", "--local", StorePath, "--actor", "cli-tests", "--tenant", "cli-setup", "--purpose", "audit", "-o", "json"]);
        if (created.ExitCode != 0)
        {
            throw new InvalidOperationException("Could not create the embedded store: " + created);
        }
    }

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(StorePath))
        {
            TempDirectories.Delete(StorePath);
        }

        return ValueTask.CompletedTask;
    }

    public Task<string> TamperAsync(string tenant, string key, string versionId)
    {
        // Layout: objects/{hash of the physical key}/{versionId}.bin; version ids are unique, so the file name is enough.
        var data = Directory.EnumerateFiles(Path.Combine(StorePath, "objects"), versionId + ".bin", SearchOption.AllDirectories).Single();
        File.SetAttributes(data, FileAttributes.Normal);
        FlipMiddleByte(data);
        return Task.FromResult(versionId);
    }

    private static void FlipMiddleByte(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        file.Position = file.Length / 2;
        var b = file.ReadByte();
        file.Position = file.Length / 2;
        file.WriteByte((byte)(b ^ 0x01));
    }
}
