using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Hds.Storage.Access;
using Hds.Storage.Audit.Search;
using Hds.Storage.Models;

namespace Hds.Storage.Audit;

/// <summary>
/// Verifies the stored audit trail from its whole history, node by node, with no need for any writer's spool: every version and
/// delete marker under the audit prefix is listed (S3 ListObjectVersions), so a delete marker (a hidden segment or checkpoint) or a
/// second version of a key (a rewritten one) is reported, and the chain is verified on each key's original version. Within a node:
/// every segment's records are canonical and match their hashes, sequences run from 1 without gap, repetition or reordering, each
/// record links to its predecessor's hash (across segments too), segment names match their records, every checkpoint is signed by a
/// trusted certificate, matches the record it names and links to the previous checkpoint, nothing attested is missing, the node is
/// enrolled (its first checkpoint, vouching for its first records, is signed by a trusted certificate) and every segment stored
/// longer ago than the grace period is covered by a signed checkpoint.
/// A time window restricts the segments checked; the segment before the window anchors its first link.
/// </summary>
internal sealed partial class AuditLogVerifier(AuditStore store, IReadOnlyList<X509Certificate2> trusted, TimeSpan checkpointGrace, TimeProvider time)
{
    /// <summary>The same verifier, its reads run for <paramref name="operation"/> (the verification or search that asked).</summary>
    public AuditLogVerifier For(OperationContext? operation) => new(store.For(operation), trusted, checkpointGrace, time);

    public Task<HdsAuditVerificationResult> VerifyAsync(
        DateTimeOffset? from, DateTimeOffset? to, AuditSpool? localSpool, CancellationToken cancellationToken) =>
        VerifyAsync(from, to, localSpool, null, cancellationToken);

    /// <summary>
    /// Verifies the window and, with a search's <paramref name="progress"/>, hands it the records of each segment that verified (of
    /// enrolled nodes only) and what was read: the search reads exactly what verification reads, nothing more.
    /// </summary>
    public async Task<HdsAuditVerificationResult> VerifyAsync(
        DateTimeOffset? from, DateTimeOffset? to, AuditSpool? localSpool, AuditSearchProgress? progress, CancellationToken cancellationToken)
    {
        var problems = new List<HdsAuditProblem>();
        var byNode = await ListNodesAsync(problems, cancellationToken).ConfigureAwait(false);
        if (localSpool is not null && !byNode.ContainsKey(localSpool.Node) && localSpool.State.UploadedSequence > 0)
        {
            byNode[localSpool.Node] = ([], []);
        }

        long records = 0;
        var segments = 0;
        var checkpoints = 0;
        foreach (var (node, lists) in byNode)
        {
            var result = await VerifyNodeAsync(node, lists.Segments, lists.Checkpoints, from, to, localSpool?.Node == node ? localSpool.State : null, problems, progress, cancellationToken)
                .ConfigureAwait(false);
            records += result.Records;
            segments += result.Segments;
            checkpoints += result.Checkpoints;
        }

        return new HdsAuditVerificationResult
        {
            Nodes = byNode.Keys.ToList(),
            RecordsVerified = records,
            SegmentsVerified = segments,
            CheckpointsVerified = checkpoints,
            Problems = problems,
        };
    }

    /// <summary>
    /// The most recent records of every enrolled node (the original version of every stored segment, hidden ones included, then this
    /// node's pending spool), oldest first. Records of a node that no trusted checkpoint vouches for are left out: nobody enrolled it.
    /// </summary>
    public async Task<IReadOnlyList<HdsAuditRecord>> ReadRecentAsync(int count, Func<HdsAuditRecord, bool> filter, AuditSpool? localSpool, CancellationToken cancellationToken)
    {
        var all = new List<HdsAuditRecord>();
        if (localSpool is not null)
        {
            all.AddRange(localSpool.Pending().Select(p => p.Record).Where(filter));
        }

        var byNode = await ListNodesAsync(null, cancellationToken).ConfigureAwait(false);
        foreach (var (node, lists) in byNode)
        {
            if (node != localSpool?.Node && !await IsEnrolledAsync(node, lists.Checkpoints, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            var found = 0;
            foreach (var segment in lists.Segments.OrderByDescending(n => n.First))
            {
                var content = await store.ReadAsync(segment.Key, segment.VersionId, cancellationToken).ConfigureAwait(false);
                var parsed = ParseLines(content).Where(r => r.Record is not null && r.Record.Node == node).Select(r => r.Record!).Where(filter).ToList();
                all.AddRange(parsed);
                found += parsed.Count;
                if (found >= count)
                {
                    break;
                }
            }
        }

        return all.DistinctBy(r => (r.Node, r.Sequence)).OrderBy(r => r.Time).ThenBy(r => r.Node, StringComparer.Ordinal).ThenBy(r => r.Sequence)
            .TakeLast(count).ToList();
    }

    // Every key ever stored under the audit prefix, grouped by node, each named with its original version. With a problem list:
    // delete markers, further versions and keys the log never writes are reported.
    private async Task<SortedDictionary<string, (List<AuditObjectName> Segments, List<AuditObjectName> Checkpoints)>> ListNodesAsync(
        List<HdsAuditProblem>? problems, CancellationToken cancellationToken)
    {
        var byNode = new SortedDictionary<string, (List<AuditObjectName> Segments, List<AuditObjectName> Checkpoints)>(StringComparer.Ordinal);
        foreach (var history in await store.ListHistoryAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if (!AuditStore.TryParse(history.Key, out var name))
            {
                problems?.Add(new HdsAuditProblem(HdsAuditProblemKind.UnexpectedObject, NodeOf(history.Key), null, "an object the audit log never writes is stored under the audit prefix"));
                continue;
            }

            var what = name.IsCheckpoint ? "checkpoint" : "segment";
            if (history.DeleteMarkers.Count > 0)
            {
                var when = string.Join(", ", history.DeleteMarkers.Select(m => m.LastModified.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)));
                problems?.Add(new HdsAuditProblem(HdsAuditProblemKind.ObjectHidden, name.Node, name.First,
                    $"{history.DeleteMarkers.Count} delete marker(s) hide this {what} from listings (added {when}); the log never deletes"));
            }

            if (history.Versions.Count > 1)
            {
                problems?.Add(new HdsAuditProblem(HdsAuditProblemKind.ObjectRewritten, name.Node, name.First,
                    $"{history.Versions.Count} versions are stored under this {what}'s key; the log writes each key once (the original is verified)"));
            }

            if (history.Original is not { } original)
            {
                continue; // delete markers only: nothing was ever stored there
            }

            if (!byNode.TryGetValue(name.Node, out var lists))
            {
                lists = ([], []);
                byNode[name.Node] = lists;
            }

            (name.IsCheckpoint ? lists.Checkpoints : lists.Segments).Add(name with { VersionId = original.VersionId, StoredAt = original.LastModified });
        }

        return byNode;
    }

    // Whether the node's first checkpoint (the one vouching for its first records) is signed by a trusted certificate and names it.
    private async Task<bool> IsEnrolledAsync(string node, List<AuditObjectName> checkpoints, CancellationToken cancellationToken)
    {
        if (checkpoints.Count == 0)
        {
            return false;
        }

        var first = checkpoints.MinBy(c => c.First);
        try
        {
            var checkpoint = CheckpointSigner.TryVerify(await store.ReadAsync(first.Key, first.VersionId, cancellationToken).ConfigureAwait(false), trusted, out _);
            return checkpoint is { PreviousSequence: 0 } && checkpoint.Node == node && checkpoint.Sequence == first.First;
        }
        catch (HdsStorageException)
        {
            return false;
        }
    }

    internal static IEnumerable<(HdsAuditRecord? Record, string? Problem)> ParseLines(byte[] content)
    {
        var start = 0;
        while (start < content.Length)
        {
            var nl = Array.IndexOf(content, (byte)'\n', start);
            if (nl < 0)
            {
                yield return (null, "the segment ends with an incomplete record");
                yield break;
            }

            var record = AuditRecordCodec.TryParse(content.AsSpan(start, nl - start), out var problem);
            yield return (record, problem);
            start = nl + 1;
        }
    }

    private static bool FixedEquals(string a, string? b) =>
        b is not null && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(a), System.Text.Encoding.ASCII.GetBytes(b));

    private static string NodeOf(string key)
    {
        var rest = key.Length > AuditStore.Prefix.Length ? key[AuditStore.Prefix.Length..] : string.Empty;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 ? rest[..slash] : "?";
    }
}
