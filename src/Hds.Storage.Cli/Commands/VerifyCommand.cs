using System.CommandLine;
using System.Text.Json;
using Hds.Storage.Models;
using Hds.Storage.Cli.Output;

namespace Hds.Storage.Cli.Commands;

/// <summary><c>hds verify &lt;key&gt; [--receipt file]</c>: reads a version to its end and checks everything (and the receipt), without output of content.</summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var key = new Argument<string>("key") { Description = "The object key." };
        var version = new Option<string?>("--version") { Description = "The version id; the receipt's, else the latest, when omitted.", HelpName = "id" };
        var receipt = new Option<string?>("--receipt")
        {
            Description = "A receipt printed by 'hds put' (JSON file): the version must match its version, length, SHA-256 and retention.",
            HelpName = "receipt.json",
        };
        var command = new Command("verify", "Re-read a version and check its integrity (and a receipt); prints the result, exit 4 on any mismatch.")
        {
            key,
            version,
            receipt,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var options = cli.RequestOptions<HdsVerifyOptions>();
            options.VersionId = parse.GetValue(version);
            if (parse.GetValue(receipt) is { } receiptPath)
            {
                options.Receipt = await ReadReceiptAsync(receiptPath, cancellationToken).ConfigureAwait(false);
            }

            var client = cli.CreateClient();
            await using (client.ConfigureAwait(false))
            {
                var result = await client.VerifyAsync(parse.GetRequiredValue(key), options, cancellationToken).ConfigureAwait(false);
                await cli.WriteAsync(result, CliReports.Verified, cancellationToken).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task<HdsStorageReceipt> ReadReceiptAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            var stream = path == "-" ? Console.OpenStandardInput() : File.OpenRead(path);
            await using (stream.ConfigureAwait(false))
            {
                return await JsonSerializer.DeserializeAsync(stream, CliJson.Default.HdsStorageReceipt, cancellationToken).ConfigureAwait(false)
                    ?? throw new CliUsageException("The receipt file is empty.");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new CliUsageException($"Cannot read the receipt: {ex.Message}", ex);
        }
    }
}
