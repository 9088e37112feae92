using System.Diagnostics;
using System.Text.Json;

namespace Hds.Storage.IntegrationTests.Infrastructure;

/// <summary>
/// Alters stored bytes below the S3 API, as a storage administrator or a disk-level attacker could: RGW keeps an object's data in
/// the RADOS pool "default.rgw.buckets.data", a small versioned object in one RADOS object named
/// "{bucket marker}__:{version id}_{key}". `rados get`/`put` read and rewrite it (same length: RGW's manifest keeps the size).
/// Needs the Ceph CLI of the test cluster (tests/s3-server, HDS_S3_CONF): the tests run where the server runs, as in CI.
/// </summary>
internal sealed class RadosTamper(S3Server server, string bucket)
{
    private const string DataPool = "default.rgw.buckets.data";
    private string? _marker;

    private string Conf => server.Environment["HDS_S3_CONF"];

    public async Task<byte[]> ReadAsync(string key, string versionId)
    {
        var (oid, locator) = await FindAsync(key, versionId);
        var file = Path.GetTempFileName();
        try
        {
            await RunAsync("rados", Args(locator, "get", oid, file));
            return await File.ReadAllBytesAsync(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Rewrites the RADOS object's bytes in place; the S3 layer (ETag, size, version) is left as it was.</summary>
    public async Task WriteAsync(string key, string versionId, byte[] bytes)
    {
        var (oid, locator) = await FindAsync(key, versionId);
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllBytesAsync(file, bytes);
            await RunAsync("rados", Args(locator, "put", oid, file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    private string[] Args(string? locator, string verb, string oid, string file) =>
        locator is null
            ? ["-c", Conf, "-p", DataPool, verb, oid, file]
            : ["-c", Conf, "-p", DataPool, "--object-locator", locator, verb, oid, file];

    private async Task<(string Oid, string? Locator)> FindAsync(string key, string versionId)
    {
        _marker ??= JsonDocument.Parse(await RunAsync("radosgw-admin", "-c", Conf, "bucket", "stats", "--bucket", bucket)).RootElement.GetProperty("marker").GetString();

        // Keys starting with '_' also carry a locator (second column of `rados ls`).
        var wanted = $"{_marker}__:{versionId}_{key}";
        var listing = await RunAsync("rados", "-c", Conf, "-p", DataPool, "ls");
        foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var columns = line.Split('\t');
            if (columns[0] == wanted)
            {
                return (columns[0], columns.Length > 1 && columns[1].Length > 0 ? columns[1] : null);
            }
        }

        throw new InvalidOperationException($"No RADOS object {wanted} in {DataPool}.");
    }

    private static async Task<string> RunAsync(string command, params string[] args)
    {
        var psi = new ProcessStartInfo(command, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}");
        }

        return await stdout;
    }
}
