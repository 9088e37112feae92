using System.CommandLine;
using Hds.Storage.Cli.Output;

namespace Hds.Storage.Cli.Commands;

/// <summary>
/// <c>hds get &lt;key&gt; --out &lt;file|-&gt;</c>: writes a verified version. A file output is written next to the target and renamed
/// only once the whole content verified, so a failed read leaves no output file.
/// </summary>
internal static class GetCommand
{
    public static Command Create()
    {
        var key = new Argument<string>("key") { Description = "The object key." };
        var version = new Option<string?>("--version") { Description = "The version id; the latest when omitted.", HelpName = "id" };
        var output = new Option<string>("--out")
        {
            Description = "Where to write the content: a file (created only if the content verifies) or - for standard output (raw bytes).",
            HelpName = "file|-",
            Required = true,
        };
        var command = new Command("get", "Read a version, verified; prints its properties unless the content goes to standard output (--out -: the raw bytes only, whatever --output says).")
        {
            key,
            version,
            output,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var options = cli.RequestOptions<GetOptions>();
            options.VersionId = parse.GetValue(version);
            var target = parse.GetRequiredValue(output);
            var client = cli.CreateClient();
            await using (client.ConfigureAwait(false))
            {
                var download = await client.GetAsync(parse.GetRequiredValue(key), options, cancellationToken).ConfigureAwait(false);
                await using (download.ConfigureAwait(false))
                {
                    var total = download.Properties.Size ?? download.Properties.StoredSize;
                    if (target == "-")
                    {
                        var stdout = Console.OpenStandardOutput();
                        await using (stdout.ConfigureAwait(false))
                        {
                            await TransferProgress.RunAsync("get", total, async track =>
                            {
                                await track(download.Content).CopyToAsync(stdout, cancellationToken).ConfigureAwait(false);
                                return true;
                            }).ConfigureAwait(false);
                        }

                        return ExitCodes.Success;
                    }

                    await TransferProgress.RunAsync("get", total, async track =>
                    {
                        await WriteAtomicallyAsync(track(download.Content), target, cancellationToken).ConfigureAwait(false);
                        return true;
                    }).ConfigureAwait(false);
                    await cli.WriteAsync(download.Properties, CliReports.Properties, cancellationToken).ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static async Task WriteAtomicallyAsync(Stream content, string target, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(target);
        var directory = Path.GetDirectoryName(full) ?? throw new CliUsageException("--out must name a file.");
        if (!Directory.Exists(directory))
        {
            throw new CliUsageException("The directory of --out does not exist.");
        }

        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.hds-partial");
        try
        {
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                await content.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
