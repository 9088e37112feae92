// S3Console: the SDK against real S3 object storage (StorageGRID, Ceph RGW, MinIO, AWS) with key-ring certificates from files.
// put a document, get it back verified, verify it against its receipt, list its versions.
// Settings: arguments or environment (see README.md). S3 credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hds.Storage;
using Microsoft.Extensions.Logging;

string Setting(int index, string variable) =>
    args.Length > index ? args[index]
    : Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value ? value
    : throw new ArgumentException($"Missing setting: pass it as argument {index + 1} or set {variable} (see samples/S3Console/README.md).");

string endpoint, bucket, certificate;
try
{
    (endpoint, bucket, certificate) = (Setting(0, "HDS_S3_ENDPOINT"), Setting(1, "HDS_S3_BUCKET"), Setting(2, "HDS_CERT"));
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine("usage: dotnet run --project samples/S3Console -- <endpoint-url> <bucket> <operational-cert.pem|pfx> [escrow-cert.pem]");
    return 1;
}

var escrow = args.Length > 3 ? args[3] : Environment.GetEnvironmentVariable("HDS_ESCROW_CERT");
using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
var options = new HdsStorageOptions { S3 = new HdsS3StorageOptions { ServiceUrl = new Uri(endpoint), Bucket = bucket } };
options.Encryption.CertificateFiles.Add(certificate);
if (escrow is { Length: > 0 })
{
    options.Encryption.CertificateFiles.Add(escrow);
}

options.Encryption.CertificatePassword = Environment.GetEnvironmentVariable("HDS_CERT_PASSWORD"); // for a PFX

// Audit checkpoints are signed on S3 (the client refuses to start without a signer): PEM (certificate + key) or PFX.
options.Audit.CheckpointCertificatePath = Environment.GetEnvironmentVariable("HDS_AUDIT_CERT");
options.Audit.CheckpointCertificatePassword = Environment.GetEnvironmentVariable("HDS_AUDIT_CERT_PASSWORD");
try
{
    await using var client = new HdsStorageClient(options, TimeProvider.System, loggerFactory);
    var context = new HdsAccessContext("agent-4711", "msa", "claim-processing") { Application = "s3-console-sample" };
    var json = new JsonSerializerOptions { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };

    // The client checks the bucket first: versioning and object lock enabled, or it refuses to work (hds bucket create makes one).
    var key = $"samples/{Guid.NewGuid():N}/form.pdf";
    var content = Encoding.UTF8.GetBytes("%PDF-1.7 synthetic sample document");
    var receipt = await client.PutAsync(key, new MemoryStream(content), new HdsPutOptions { Context = context, ContentType = "application/pdf" });
    Console.WriteLine("put: receipt");
    Console.WriteLine(JsonSerializer.Serialize(receipt, json));

    await using (var download = await client.GetAsync(key, new HdsGetOptions { Context = context, VersionId = receipt.VersionId }))
    {
        using var copy = new MemoryStream();
        await download.Content.CopyToAsync(copy); // verified segment by segment; throws HdsIntegrityException on any mismatch
        Console.WriteLine($"get: {copy.Length} bytes, identical: {copy.ToArray().AsSpan().SequenceEqual(content)}");
    }

    var verified = await client.VerifyAsync(key, new HdsVerifyOptions { Context = context, Receipt = receipt });
    Console.WriteLine($"verify against the receipt: ok, sha256 {verified.Sha256}");

    await foreach (var version in client.GetVersionsAsync(key, new HdsRequestOptions { Context = context }))
    {
        Console.WriteLine($"version {version.VersionId} latest={version.IsLatest} deleteMarker={version.IsDeleteMarker}");
    }
}
catch (HdsStorageException ex)
{
    // Typed failures (unreachable storage, a bucket without object lock, a bad certificate...): say what to do, no stack trace.
    Console.Error.WriteLine($"error: {ex.ErrorCode}: {ex.Message}");
    return 2;
}

return 0;
