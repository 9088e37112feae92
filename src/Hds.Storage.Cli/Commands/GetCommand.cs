using System.CommandLine;
using System.Security.Cryptography;
using Hds.Storage.Cli.Output;
using Hds.Storage.Models;

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
        var range = new Option<string?>("--range")
        {
            Description = "Only content bytes offset to offset+length-1 (length omitted: to the end), verified like the whole object.",
            HelpName = "offset[:length]",
        };
        var command = new Command("get", "Read a version, verified; prints its properties unless the content goes to standard output (--out -: the raw bytes only, whatever --output says).")
        {
            key,
            version,
            output,
            range,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var cli = CliContext.From(parse);
            var options = cli.RequestOptions<HdsGetOptions>();
            options.VersionId = parse.GetValue(version);
            options.Range = parse.GetValue(range) is { } text ? ParseRange(text) : null;
            var target = parse.GetRequiredValue(output);
            var file = target == "-" ? null : OutputFile(target); // refused before the store is opened, not after reading it all
            var client = cli.CreateClient();
            await using (client.ConfigureAwait(false))
            {
                var download = await client.GetAsync(parse.GetRequiredValue(key), options, cancellationToken).ConfigureAwait(false);
                await using (download.ConfigureAwait(false))
                {
                    var total = download.Properties.Size ?? download.Properties.StoredSize;
                    if (file is null)
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

                    (long Size, string Sha256) written = default;
                    await TransferProgress.RunAsync("get", total, async track =>
                    {
                        written = await WriteAtomicallyAsync(track(download.Content), file, cancellationToken).ConfigureAwait(false);
                        return true;
                    }).ConfigureAwait(false);

                    // The content verified to its end (the stream throws otherwise): report what was verified and written. A range is
                    // only part of the content: its size, and no SHA-256 that could be mistaken for the receipt's.
                    var report = new DownloadReport(download.Properties with { Size = options.Range is null ? written.Size : download.Properties.Size },
                        options.Range is null ? written.Sha256 : null, options.Range is null ? null : written.Size);
                    await cli.WriteAsync(report, CliReports.Download, cancellationToken).ConfigureAwait(false);
                }
            }

            return ExitCodes.Success;
        });
        return command;
    }

    // "offset:length", "offset:" or "offset" (to the end); decimal, non-negative.
    private static HdsContentRange ParseRange(string text)
    {
        var parts = text.Split(':');
        if (parts.Length > 2 || !TryParseCount(parts[0], out var offset))
        {
            throw new CliUsageException("--range must be offset[:length] in bytes, for example 1048576:4096.");
        }

        if (parts.Length == 1 || parts[1].Length == 0)
        {
            return new HdsContentRange(offset);
        }

        return TryParseCount(parts[1], out var length)
            ? new HdsContentRange(offset, length)
            : throw new CliUsageException("--range must be offset[:length] in bytes, for example 1048576:4096.");
    }

    private static bool TryParseCount(string text, out long value) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value);

    // The full path of the output file. A directory, or a file in a directory that does not exist, is a usage mistake found before
    // anything is read: the content would otherwise be read and verified to its end, then fail to be moved into place (exit 10).
    private static string OutputFile(string target)
    {
        var full = Path.GetFullPath(target);
        if (Directory.Exists(full))
        {
            throw new CliUsageException($"--out names a directory ('{target}'): give the path of the file to write, for example {Path.Combine(target, "copy.pdf")}.");
        }

        var directory = Path.GetDirectoryName(full) ?? throw new CliUsageException("--out must name a file.");
        return Directory.Exists(directory) ? full : throw new CliUsageException($"The directory of --out ('{directory}') does not exist.");
    }

    // Returns the size and SHA-256 of the bytes written, hashed as they pass.
    private static async Task<(long Size, string Sha256)> WriteAtomicallyAsync(Stream content, string full, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(full)!;
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.hds-partial");
        try
        {
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            await using (file.ConfigureAwait(false))
            {
                using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[1 << 16];
                long size = 0;
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    sha256.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                    size += read;
                }

                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
                File.Move(temp, full, overwrite: true);
                return (size, Convert.ToHexStringLower(sha256.GetHashAndReset()));
            }
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
