// QuickStart: store a health document in the embedded store, read it back verified, print the receipt and the audit trail.
// Runs with zero setup: no server, no configuration. The embedded store is for development, not HDS-grade hosting: with no
// certificate configured it encrypts under a DEVELOPMENT certificate kept in the store (never use it for real health data).
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hds.Storage;
using Microsoft.Extensions.Logging;

// The user's own data folder (not a shared /tmp, not the project folder): the store holds the development certificate's key.
var storePath = args.Length > 0 ? args[0]
    : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "hds-quickstart-store");
using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));

var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = storePath } };
await using var client = new HdsStorageClient(options, TimeProvider.System, loggerFactory);

// Every call says who acts, for which scheme (tenant) and why: pseudonymous ids only, never names.
var run = Guid.NewGuid().ToString("N");
var context = new HdsAccessContext(actorId: "agent-4711", tenant: "msa", purpose: "claim-processing")
{
    Role = "agent", Application = "quickstart", CorrelationId = run,
};
Console.WriteLine("Embedded store (development only): documents are encrypted under a development certificate created in the store.");

// Object keys are not encrypted: use opaque identifiers, never a patient's name or social security number.
var key = $"requests/{Guid.NewGuid():N}/form.pdf";
var document = Encoding.UTF8.GetBytes("%PDF-1.7 demo elderly-care aid request (synthetic content)");

var receipt = await client.PutAsync(key, new MemoryStream(document), new HdsPutOptions { Context = context, ContentType = "application/pdf" });
var json = new JsonSerializerOptions { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };
Console.WriteLine("Stored. Receipt (keep it: it names the exact version and its digest):");
Console.WriteLine(JsonSerializer.Serialize(receipt, json));

await using (var download = await client.GetAsync(key, new HdsGetOptions { Context = context, VersionId = receipt.VersionId }))
{
    using var buffer = new MemoryStream();
    await download.Content.CopyToAsync(buffer);
    var same = buffer.ToArray().AsSpan().SequenceEqual(document);
    Console.WriteLine($"Read back {buffer.Length} bytes of version {download.Properties.VersionId}: {(same ? "identical, verified" : "DIFFERENT")}.");
    Console.WriteLine($"Locked ({download.Properties.Retention.Mode}) until {download.Properties.Retention.RetainUntil:yyyy-MM-dd}.");
}

var verified = await client.VerifyAsync(key, new HdsVerifyOptions { Context = context, Receipt = receipt });
Console.WriteLine($"Verified against the receipt: SHA-256 {verified.Sha256}.");

// Reading the audit trail is itself an audited operation, allowed only for the purpose "audit" and the role "auditor".
var auditor = new HdsAccessContext(actorId: "auditor-7", tenant: "msa", purpose: "audit") { Role = "auditor", Application = "quickstart", CorrelationId = run };
var trail = await client.GetRecentAuditRecordsAsync(50, new HdsRequestOptions { Context = auditor });
Console.WriteLine("Audit trail of this run (hash-chained, tamper-evident):");
foreach (var record in trail.Where(r => r.CorrelationId == run))
{
    var size = record.Size is { } bytes ? $" size={bytes}" : string.Empty; // a read's size is known once it was read to its end
    Console.WriteLine($"  #{record.Sequence} {record.Time:HH:mm:ss.fff} {record.Operation,-8} {record.Outcome,-9} actor={record.ActorId} purpose={record.Purpose}{size}");
}

var check = await client.VerifyAuditLogAsync(new Hds.Storage.HdsAuditVerifyOptions { Context = auditor });
// The count covers the whole store (earlier runs too) and includes this run's reading of the trail, recorded like any access.
Console.WriteLine($"Audit trail verified: {(check.IsValid ? "intact" : "NOT INTACT")} ({check.RecordsVerified} records in the store, this run's reading of the trail included).");
Console.WriteLine($"Store: {storePath}");
