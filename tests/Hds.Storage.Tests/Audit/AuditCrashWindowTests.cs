using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hds.Storage.Access;
using Hds.Storage.Audit;
using Hds.Storage.Backends.Local;

namespace Hds.Storage.Tests.Audit;

/// <summary>
/// Regression: a process killed after storing an audit segment but before recording that in its spool state re-uploaded the same
/// records after restart, and verification reported "record 149 appears where record 150 was expected" (seen in the SIGKILL test).
/// </summary>
public sealed class AuditCrashWindowTests : IDisposable
{
    private static readonly HdsAccessContext Alice = new("agent-4711", "msa", "claim-processing");
    private static readonly HdsAccessContext Auditor = new("auditor-7", "msa", HdsAuthorizationOptions.AuditPurpose) { Role = HdsAuthorizationOptions.AuditorRole };
    private readonly string _store = Path.Combine(Path.GetTempPath(), "hds-crashwindow-" + Guid.NewGuid().ToString("N"));
    private readonly X509Certificate2 _signer = CreateSigner();

    public void Dispose()
    {
        _signer.Dispose();
        if (Directory.Exists(_store))
        {
            Directory.Delete(_store, recursive: true);
        }
    }

    [Fact]
    public async Task A_segment_stored_just_before_a_crash_is_not_uploaded_again_after_restart()
    {
        var ct = TestContext.Current.CancellationToken;
        string nodeDirectory;
        var copy = Path.Combine(_store + "-copy");
        await using (var client = Client())
        {
            for (var i = 0; i < 5; i++)
            {
                await client.PutAsync($"k/{i}", new MemoryStream([(byte)i]), new HdsPutOptions { Context = Alice }, ct);
            }

            // The spool as it is before the upload: the state says nothing is uploaded yet.
            nodeDirectory = Assert.Single(Directory.GetDirectories(Path.Combine(_store, "spool")));
            Directory.CreateDirectory(copy);
            foreach (var file in new[] { "spool.jsonl", "state.json" }.Where(f => File.Exists(Path.Combine(nodeDirectory, f))))
            {
                File.Copy(Path.Combine(nodeDirectory, file), Path.Combine(copy, file));
            }
        }

        // Disposing uploaded the segment and its checkpoint. Put the old spool back: the crash window.
        foreach (var file in new[] { "spool.jsonl", "state.json" })
        {
            File.Delete(Path.Combine(nodeDirectory, file));
            if (File.Exists(Path.Combine(copy, file)))
            {
                File.Copy(Path.Combine(copy, file), Path.Combine(nodeDirectory, file));
            }
        }

        await using (var restarted = Client())
        {
            await restarted.PutAsync("k/after", new MemoryStream([9]), new HdsPutOptions { Context = Alice }, ct);
        }

        await using var verifier = Client();
        var result = await verifier.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor }, ct);
        Assert.True(result.IsValid, string.Join("; ", result.Problems));
        Directory.Delete(copy, recursive: true);
    }

    [Fact]
    public async Task A_segment_stored_whose_answer_was_lost_is_not_uploaded_again_by_the_next_upload()
    {
        // The upload loop cancelled by dispose (or a connection broken) after the storage stored the segment: the final upload
        // must not store the same segment a second time (verification would rightly report a rewritten segment).
        var ct = TestContext.Current.CancellationToken;
        var lost = 0;
        await using (var client = Client(backend => new Tests.TestSupport.CountingBackend(backend)
        {
            LoseAnswer = request => request.Key.Contains("/segments/", StringComparison.Ordinal) && Interlocked.Exchange(ref lost, 1) == 0,
        }))
        {
            for (var i = 0; i < 3; i++)
            {
                await client.PutAsync($"k/{i}", new MemoryStream([(byte)i]), new HdsPutOptions { Context = Alice }, ct);
            }

            await Assert.ThrowsAsync<IOException>(() => client.FlushAuditAsync(ct));
            await client.PutAsync("k/after", new MemoryStream([9]), new HdsPutOptions { Context = Alice }, ct);
            await client.FlushAuditAsync(ct);
        }

        Assert.Equal(1, lost);
        await using var verifier = Client();
        var result = await verifier.VerifyAuditLogAsync(new HdsAuditVerifyOptions { Context = Auditor }, ct);
        Assert.True(result.IsValid, string.Join("; ", result.Problems));
    }

    private HdsStorageClient Client(Func<Hds.Storage.Backends.StorageBackend, Hds.Storage.Backends.StorageBackend>? decorate = null)
    {
        var options = new HdsStorageOptions { Local = new HdsLocalStorageOptions { Path = _store } };
        options.Audit.SpoolDirectory = Path.Combine(_store, "spool");
        options.Audit.UploadInterval = TimeSpan.FromHours(1);
        options.Audit.BatchSize = 1000;
        options.Audit.CheckpointCertificate = _signer;
        return new HdsStorageClient(options, TimeProvider.System, null, decorate);
    }

    private static X509Certificate2 CreateSigner()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=hds-crash-window", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }
}
