using Hds.Storage.IntegrationTests.Infrastructure;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Hds.Storage.Objects;

namespace Hds.Storage.IntegrationTests.Cli;

/// <summary>
/// A real S3 server (the Ceph RGW of tests/s3-server): reads tests/s3-server/.env, starts the server with start.sh when the file is
/// missing or the gateway does not answer, and creates a fresh object-lock bucket for the run with <c>hds bucket create</c>.
/// </summary>
public sealed class S3CliBackend : ICliBackend
{
    private Dictionary<string, string> _settings = new(StringComparer.Ordinal);

    public string Bucket { get; } = "hds-cli-" + Guid.NewGuid().ToString("N")[..20];

    public string EndpointA => _settings["HDS_S3_ENDPOINT_A"];

    public string EndpointB => _settings["HDS_S3_ENDPOINT_B"];

    public IReadOnlyList<string> BackendArgs => ["--endpoint", EndpointA, "--endpoint", EndpointB, "--bucket", Bucket, .. CertificateArgs];

    /// <summary>
    /// The certificates every S3 command needs: key ring operational (with private key) and escrow (public), and the audit checkpoint signer.
    /// </summary>
    public static string[] CertificateArgs =>
        ["--cert", TestCertificates.Files.Operational, "--escrow-cert", TestCertificates.Files.Escrow, "--audit-cert", TestCertificates.Files.AuditSigner];

    public IReadOnlyDictionary<string, string> Environment { get; private set; } = new Dictionary<string, string>();

    public async ValueTask InitializeAsync()
    {
        var root = CliRunner.RepositoryRoot();
        var envFile = Path.Combine(root, "tests", "s3-server", ".env");
        if (!File.Exists(envFile) || !await AnswersAsync(ReadEnv(envFile)["HDS_S3_ENDPOINT_A"]))
        {
            await StartServerAsync(root);
        }

        _settings = ReadEnv(envFile);
        Environment = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = _settings["AWS_ACCESS_KEY_ID"],
            ["AWS_SECRET_ACCESS_KEY"] = _settings["AWS_SECRET_ACCESS_KEY"],
        };
        var created = await CliRunner.RunAsync(["--endpoint", EndpointA, "--endpoint", EndpointB, "bucket", "create", Bucket, .. CertificateArgs, "--actor", "op-42", "--tenant", "msa-test", "--purpose", "audit"], environment: Environment);
        if (created.ExitCode != 0)
        {
            throw new InvalidOperationException($"hds bucket create failed: {created}");
        }
    }

    // Objects are locked for years: the bucket of a run stays on the throw-away test cluster.
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    public AmazonS3Client CreateRawClient() => new(
        new BasicAWSCredentials(_settings["AWS_ACCESS_KEY_ID"], _settings["AWS_SECRET_ACCESS_KEY"]),
        new AmazonS3Config
        {
            ServiceURL = EndpointA,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        });

    public async Task<string> TamperAsync(string tenant, string key, string versionId)
    {
        // A locked version cannot be changed through S3; a liar can still add a newer version with the same metadata and altered bytes.
        using var s3 = CreateRawClient();
        var physical = ObjectKeys.ToPhysical(tenant, key);
        using var original = await s3.GetObjectAsync(new GetObjectRequest { BucketName = Bucket, Key = physical, VersionId = versionId });
        var body = new MemoryStream();
        await original.ResponseStream.CopyToAsync(body);
        var bytes = body.ToArray();
        bytes[bytes.Length / 2] ^= 0x01;
        var put = new PutObjectRequest
        {
            BucketName = Bucket,
            Key = physical,
            InputStream = new MemoryStream(bytes),
            ContentType = original.Headers.ContentType,
#pragma warning disable CA5351 // Content-MD5 is what S3 object-lock buckets require, not a security control.
            MD5Digest = Convert.ToBase64String(MD5.HashData(bytes)),
#pragma warning restore CA5351
        };
        foreach (var name in original.Metadata.Keys)
        {
            put.Metadata[name] = original.Metadata[name];
        }

        var written = await s3.PutObjectAsync(put);
        return written.VersionId;
    }

    private static Dictionary<string, string> ReadEnv(string path) =>
        File.ReadAllLines(path)
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);

    private static async Task<bool> AnswersAsync(string endpoint)
    {
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var response = await http.GetAsync(new Uri(endpoint));
            return true;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private static async Task StartServerAsync(string root)
    {
        var start = new System.Diagnostics.ProcessStartInfo("bash") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine("tests", "s3-server", "start.sh"));
        using var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException("Could not start bash.");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(20));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"tests/s3-server/start.sh failed ({process.ExitCode}): {await output} {await errors}");
        }
    }
}
