using System.CommandLine;
using Hds.Storage.Keys;
using Hds.Storage.Cli.Output;
using Hds.Storage.Models;

namespace Hds.Storage.Cli.Commands;

/// <summary>
/// <c>hds keys list|rotate|rewrap|revoke</c>: the certificate-protected key ring of the bucket (or local store). Like every store
/// command they need the access context; by default the purpose must be "key-management", the role "key-admin" and the tenant the operating one ("operator"), and each one is audited.
/// </summary>
internal static class KeysCommands
{
    public static Command Create()
    {
        var keys = new Command("keys",
            "Manage the key ring: key-encryption keys stored in the bucket as CMS EnvelopedData to the --cert/--escrow-cert certificates "
            + "(needs --purpose key-management, --role key-admin and the operating tenant, \"operator\" by default; every command is audited).")
        {
            CreateList(),
            CreateRotate(),
            CreateRewrap(),
            CreateRevoke(),
        };
        return keys;
    }

    private static Command CreateList()
    {
        var command = new Command("list", "List the key ring's keys, oldest first, without key material (JSON array: id, created, activation, expiry, revoked, current, available, recipients).");
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, async (client, options) =>
        {
            var entries = await client.ListKeysAsync(options, cancellationToken).ConfigureAwait(false);
            await CliContext.From(parse).WriteAsync(KeyReport.From(entries, TimeProvider.System.GetUtcNow()), CliReports.Keys, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateRotate()
    {
        var command = new Command("rotate", "Create a new key, active now: new writes use it, existing objects keep theirs (nothing is re-encrypted). Prints the new key.");
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, async (client, options) =>
        {
            // The new key is the one activated last, so "current" is decided by the entry alone: no second (audited) listing.
            var created = await client.RotateKeyAsync(options, cancellationToken).ConfigureAwait(false);
            var report = KeyReport.From([created], TimeProvider.System.GetUtcNow())[0];
            await CliContext.From(parse).WriteAsync(report, CliReports.Key, cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateRewrap()
    {
        var command = new Command("rewrap",
            "Re-encrypt every key-ring entry to the currently configured certificates (after a renewal or a new escrow certificate); no object is touched. "
            + "Pass a certificate that opens the entries (old operational or escrow, with its private key) together with the new ones. Prints {rewrapped, keys}.");
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, async (client, options) =>
        {
            var rewrapped = await client.RewrapKeysAsync(options, cancellationToken).ConfigureAwait(false);
            await CliContext.From(parse).WriteAsync(new RewrapReport(rewrapped.Count, rewrapped.Select(e => e.Id).ToList()), CliReports.Rewrap, cancellationToken)
                .ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }

    private static Command CreateRevoke()
    {
        var id = new Argument<string>("id") { Description = "The key id (from 'hds keys list')." };
        var command = new Command("revoke",
            "Revoke a key (irreversible): no new write uses it and every object under it is refused on read (exit 4). For a compromised key only. Prints the key.")
        {
            id,
        };
        command.SetAction((parse, cancellationToken) => WithClientAsync(parse, async (client, options) =>
        {
            // A revoked key is never current.
            var revoked = await client.RevokeKeyAsync(parse.GetRequiredValue(id), options, cancellationToken).ConfigureAwait(false);
            await CliContext.From(parse).WriteAsync(KeyReport.From([revoked], TimeProvider.System.GetUtcNow())[0], CliReports.Key, cancellationToken)
                .ConfigureAwait(false);
            return ExitCodes.Success;
        }));
        return command;
    }

    // The context is required (and validated) before the client is even created: nothing is read without one.
    private static async Task<int> WithClientAsync(ParseResult parse, Func<HdsStorageClient, HdsRequestOptions, Task<int>> action)
    {
        var cli = CliContext.From(parse);
        var options = cli.RequestOptions<HdsRequestOptions>();
        var client = cli.CreateClient();
        await using (client.ConfigureAwait(false))
        {
            return await action(client, options).ConfigureAwait(false);
        }
    }
}

/// <summary>One key-ring entry as <c>hds keys</c> prints it.</summary>
internal sealed record KeyReport(
    string Id, DateTimeOffset Created, DateTimeOffset Activation, DateTimeOffset Expiry, DateTimeOffset? Revoked, bool Current, bool Available,
    IReadOnlyList<string> Recipients)
{
    /// <summary>The entries, marking as current the one new writes use: the active key activated last.</summary>
    public static List<KeyReport> From(IReadOnlyList<HdsKeyRingEntry> entries, DateTimeOffset now)
    {
        var current = entries.Where(e => e.IsAvailable && e.IsActiveAt(now)).OrderBy(e => e.ActivatesAt).ThenBy(e => e.Id, StringComparer.Ordinal).LastOrDefault();
        return entries
            .Select(e => new KeyReport(e.Id, e.CreatedAt, e.ActivatesAt, e.ExpiresAt, e.RevokedAt, ReferenceEquals(e, current), e.IsAvailable, e.RecipientThumbprints))
            .ToList();
    }
}

/// <summary>What <c>hds keys rewrap</c> prints.</summary>
internal sealed record RewrapReport(int Rewrapped, IReadOnlyList<string> Keys);
