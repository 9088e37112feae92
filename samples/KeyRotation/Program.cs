// KeyRotation: key-ring rotation and certificate rewrap on the embedded store, with two generated certificates.
// 1. a document is written under key K1, protected by certificate A;  2. rotation creates K2: new writes use it, the old
// document keeps K1;  3. certificate A is renewed by B: rewrap re-encrypts the key-ring entries to A and B (no document touched);
// 4. a client holding certificate B only reads both documents.
// Key-ring operations run under an access context like every other call: the default policy allows them for the purpose
// "key-management" only, and each one leaves an audit record naming the key concerned.
// Development certificates generated here, in memory: never use such certificates for real health data.
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Hds.Storage;
using Hds.Storage.Models;

var storePath = args.Length > 0 ? args[0] : Path.Combine(Path.GetTempPath(), "hds-keyrotation-" + Guid.NewGuid().ToString("N")[..8]);
// The renewal expires after the certificate it replaces: a rewrap signs the entries with the configured certificate that expires
// last, so B alone can verify them once A is retired.
using var certificateA = CreateCertificate("CN=hds-sample-operational-2026", years: 1);
using var certificateB = CreateCertificate("CN=hds-sample-operational-2027-renewed", years: 2);
var context = new HdsAccessContext("agent-4711", "msa", "claim-processing");
var keyOfficer = new HdsRequestOptions { Context = new HdsAccessContext("officer-12", HdsAuthorizationOptions.DefaultOperatingTenant, HdsAuthorizationOptions.KeyManagementPurpose) { Role = HdsAuthorizationOptions.KeyAdminRole } };

HdsStorageOptions Options(params X509Certificate2[] certificates)
{
    var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = storePath } };
    foreach (var certificate in certificates)
    {
        options.Encryption.Certificates.Add(certificate);
    }

    return options;
}

async Task<string> ReadAsync(HdsStorageClient client, string key)
{
    await using var download = await client.GetAsync(key, new HdsGetOptions { Context = context });
    using var reader = new StreamReader(download.Content, Encoding.UTF8);
    return await reader.ReadToEndAsync();
}

await using (var clientA = new HdsStorageClient(Options(certificateA)))
{
    var first = await clientA.PutAsync("requests/0001/form.pdf", new MemoryStream("first document"u8.ToArray()), new HdsPutOptions { Context = context });
    Console.WriteLine($"1. Stored requests/0001 under key {first.KeyId} (certificate A).");

    var k2 = await clientA.RotateKeyAsync(keyOfficer);
    var second = await clientA.PutAsync("requests/0002/form.pdf", new MemoryStream("second document"u8.ToArray()), new HdsPutOptions { Context = context });
    Console.WriteLine($"2. Rotated: new key {k2.Id}; requests/0002 stored under {second.KeyId}; requests/0001 still reads: \"{await ReadAsync(clientA, "requests/0001/form.pdf")}\".");
}

// The renewal: a client configured with the old AND the new certificate opens every entry and re-encrypts it to both.
await using (var clientAB = new HdsStorageClient(Options(certificateA, certificateB)))
{
    var rewrapped = await clientAB.RewrapKeysAsync(keyOfficer);
    Console.WriteLine($"3. Rewrapped {rewrapped.Count} key-ring entries to certificates A and B; no document was read or rewritten.");
}

await using (var clientB = new HdsStorageClient(Options(certificateB)))
{
    foreach (var entry in await clientB.ListKeysAsync(keyOfficer))
    {
        Console.WriteLine($"   key {entry.Id}: created {entry.CreatedAt:yyyy-MM-dd HH:mm}, expires {entry.ExpiresAt:yyyy-MM-dd}, {entry.RecipientThumbprints.Count} recipients, usable with B: {entry.IsAvailable}");
    }

    Console.WriteLine($"4. With certificate B only: requests/0001 = \"{await ReadAsync(clientB, "requests/0001/form.pdf")}\", requests/0002 = \"{await ReadAsync(clientB, "requests/0002/form.pdf")}\".");

    // Every key-ring operation above left an audit record: who, why, which key (never key material).
    // The key ring is administered from the operating tenant: its records are that tenant's, read by an auditor (role "auditor").
    var auditor = new HdsRequestOptions { Context = new HdsAccessContext("auditor-7", HdsAuthorizationOptions.DefaultOperatingTenant, HdsAuthorizationOptions.AuditPurpose) { Role = HdsAuthorizationOptions.AuditorRole } };
    foreach (var record in (await clientB.GetRecentAuditRecordsAsync(50, auditor)).Where(r => r.Operation is HdsOperation.RotateKey or HdsOperation.RewrapKeys or HdsOperation.ListKeys))
    {
        Console.WriteLine($"   audit: {record.Operation} by {record.ActorId} ({record.Purpose}) {record.Outcome}, key(s) {record.KeyId ?? "-"}");
    }
}

Console.WriteLine($"Store: {storePath} (certificate A can now be retired; in production also configure an escrow certificate).");

static X509Certificate2 CreateCertificate(string subject, int years)
{
    using var key = RSA.Create(2048);
    var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, critical: true));
    using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(years));
    return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
}
