using System.CommandLine;
using Hds.Storage.Cli.Output;
using Hds.Storage.Models;

namespace Hds.Storage.Cli.Commands;

/// <summary><c>hds put &lt;file|-&gt; &lt;key&gt;</c>: stores a new locked version and prints its receipt.</summary>
internal static class PutCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The file to store, or - for standard input." };
        var key = new Argument<string>("key") { Description = "The object key (no names or health data in keys)." };
        var retentionClass = new Option<string?>("--class")
        {
            Description = $"The retention class: \"{HdsStorageOptions.DefaultRetentionClassName}\" (20 years COMPLIANCE, the default) or \"{CliContext.ShortRetentionClassName}\" (1 day COMPLIANCE, for trials and tests only).",
            HelpName = "retention-class",
        };
        var contentType = new Option<string?>("--content-type")
        {
            Description = "The MIME type stored with the object (in clear). Default: application/octet-stream.",
            HelpName = "type",
        };
        var ackSites = new Option<int?>("--ack-sites")
        {
            Description = "Return only when this many sites hold the version, locked (the storing site counts; default 1). "
                + "Use 2 before telling someone their document is filed. Not confirmed in time: the receipt is printed and the exit code is 8.",
            HelpName = "n",
        };
        var command = new Command("put", "Store a file as a new version, locked by its retention class, and print the receipt; keep it (as JSON: -o json > receipt.json).")
        {
            file,
            key,
            retentionClass,
            contentType,
            ackSites,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var options = cli.RequestOptions<HdsPutOptions>();
            options.RetentionClass = parse.GetValue(retentionClass);
            options.AcknowledgementSites = parse.GetValue(ackSites);
            if (parse.GetValue(contentType) is { } type)
            {
                options.ContentType = type;
            }

            // The input first: a directory or a missing file is a usage error whatever the store.
            var input = OpenInput(parse.GetRequiredValue(file));
            await using (input.ConfigureAwait(false))
            {
                var client = cli.CreateClient();
                await using (client.ConfigureAwait(false))
                {
                    long? length = input is FileStream { CanSeek: true } file ? file.Length : null;
                    HdsStorageReceipt receipt;
                    try
                    {
                        receipt = await TransferProgress.RunAsync("put", length, track =>
                            client.PutAsync(parse.GetRequiredValue(key), track(input), options, cancellationToken)).ConfigureAwait(false);
                    }
                    catch (HdsNotGeoDurableException ex)
                    {
                        // Stored and locked on fewer sites than asked: the receipt is still what the caller must keep (exit 8).
                        await cli.WriteAsync(ex.Receipt, CliReports.Receipt, cancellationToken).ConfigureAwait(false);
                        throw;
                    }

                    await cli.WriteAsync(receipt, CliReports.Receipt, cancellationToken).ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Stream OpenInput(string path)
    {
        if (path == "-")
        {
            return Console.OpenStandardInput();
        }

        if (Directory.Exists(path))
        {
            throw new CliUsageException("The input is a directory: give a file (or - for standard input).");
        }

        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CliUsageException($"Cannot read the input file: {ex.Message}", ex);
        }
    }
}
