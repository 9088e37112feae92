// QuickStart: store a health document in the embedded store, read it back verified, print the receipt.
// Runs with zero setup: no server, no configuration. The embedded store is for development, not HDS-grade hosting.
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Hds.Storage;
using Hds.Storage.Access;
using Hds.Storage.Backends.Local;
using Microsoft.Extensions.Logging;

var storePath = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "hds-quickstart-store");
using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));

var options = new HdsStorageOptions { Local = new LocalStorageOptions { Path = storePath } };
await using var client = new HdsStorageClient(options, TimeProvider.System, loggerFactory);

// Every call says who acts, for which scheme (tenant) and why: pseudonymous ids only, never names.
var context = new HdsAccessContext(actorId: "agent-4711", tenant: "msa", purpose: "claim-processing") { Role = "agent", Application = "quickstart" };

// Object keys are not encrypted: use opaque identifiers, never a patient's name or social security number.
var key = $"requests/{Guid.NewGuid():N}/form.pdf";
var document = Encoding.UTF8.GetBytes("%PDF-1.7 demo elderly-care aid request (synthetic content)");

var receipt = await client.PutAsync(key, new MemoryStream(document), new PutOptions { Context = context, ContentType = "application/pdf" });
var json = new JsonSerializerOptions { WriteIndented = true, Converters = { new JsonStringEnumConverter() } };
Console.WriteLine("Stored. Receipt (keep it: it names the exact version and its digest):");
Console.WriteLine(JsonSerializer.Serialize(receipt, json));

await using (var download = await client.GetAsync(key, new GetOptions { Context = context, VersionId = receipt.VersionId }))
{
    using var buffer = new MemoryStream();
    await download.Content.CopyToAsync(buffer);
    var same = buffer.ToArray().AsSpan().SequenceEqual(document);
    Console.WriteLine($"Read back {buffer.Length} bytes of version {download.Properties.VersionId}: {(same ? "identical, verified" : "DIFFERENT")}.");
    Console.WriteLine($"Locked ({download.Properties.Retention.Mode}) until {download.Properties.Retention.RetainUntil:yyyy-MM-dd}.");
}

var verified = await client.VerifyAsync(key, new VerifyOptions { Context = context, Receipt = receipt });
Console.WriteLine($"Verified against the receipt: SHA-256 {verified.Sha256}.");
Console.WriteLine($"Store: {storePath}");
