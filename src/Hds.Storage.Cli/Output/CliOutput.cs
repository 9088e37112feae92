using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Hds.Storage.Cli.Output;

/// <summary>
/// The one place that decides how results are printed. <c>--output json|human</c> wins, then <c>HDS_OUTPUT</c>, then the default:
/// human when standard output is a terminal, JSON when it is redirected, so pipes, files and scripts keep getting JSON without asking.
/// Messages and errors go to standard error in both forms; exit codes do not depend on the form.
/// </summary>
internal static class CliOutput
{
    /// <summary>The environment variable that sets the form when --output is not given.</summary>
    public const string EnvironmentVariable = "HDS_OUTPUT";

    // Spectre never wraps a value: long values (SHA-256, version ids, keys) stay whole on one line, for grep and for copying from a
    // terminal (which folds a long line without breaking the value). Tables that would not fit FitWidth are printed as blocks instead.
    private const int RenderWidth = 4096;

    private static readonly string[] Names = ["json", "human"];

    public static readonly Option<string?> Option = CreateOption();

    // Human output is rendered into this buffer, then written with its line ends trimmed (see Render).
    private static readonly StringWriter Buffer = new(CultureInfo.InvariantCulture);

    private static readonly Lazy<IAnsiConsole> HumanConsole = new(CreateConsole);

    /// <summary>The form for this command line; a bad --output is a parse error, a bad HDS_OUTPUT a usage error (both exit 1).</summary>
    public static OutputFormat FormatOf(ParseResult parse)
    {
        var name = parse.GetValue(Option) ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrEmpty(name) ? (Console.IsOutputRedirected ? OutputFormat.Json : OutputFormat.Human)
            : string.Equals(name, "json", StringComparison.OrdinalIgnoreCase) ? OutputFormat.Json
            : string.Equals(name, "human", StringComparison.OrdinalIgnoreCase) ? OutputFormat.Human
            : throw new CliUsageException($"{EnvironmentVariable} must be json or human, got '{name}'.");
    }

    public static async Task WriteAsync<T>(ParseResult parse, T value, CliReport<T> report, CancellationToken cancellationToken)
    {
        if (FormatOf(parse) == OutputFormat.Json)
        {
            await CliContext.Output.WriteLineAsync(report.ToJson(value).AsMemory(), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await CliContext.Output.WriteAsync(Render(report.ToHuman(value)).AsMemory(), cancellationToken).ConfigureAwait(false);
        }

        await CliContext.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Prints a listing as it is read, never holding it whole (a tenant may hold millions of documents): JSON is one array whose
    /// items are written as they come, flushed every 64 KiB; for people, tables of at most <see cref="CliListing{T}.PageRows"/> rows,
    /// then the count. A failure mid-listing leaves what was printed (in JSON, an array without its end) and the error goes to
    /// standard error with its exit code, as for any command: scripts check the exit code.
    /// </summary>
    public static async Task WriteListingAsync<T>(ParseResult parse, IAsyncEnumerable<T> items, CliListing<T> listing, CancellationToken cancellationToken)
    {
        var output = CliContext.Output;
        var count = 0;
        if (FormatOf(parse) == OutputFormat.Json)
        {
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
            using var writer = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Indented = true });
            writer.WriteStartArray();
            await foreach (var item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                System.Text.Json.JsonSerializer.Serialize(writer, item, listing.Item);
                count++;
                if (writer.BytesPending + buffer.WrittenCount >= 64 * 1024)
                {
                    await DrainAsync(writer, buffer, output, cancellationToken).ConfigureAwait(false);
                }
            }

            writer.WriteEndArray();
            await DrainAsync(writer, buffer, output, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync().ConfigureAwait(false);
        }
        else
        {
            var page = new List<T>(listing.PageRows);
            await foreach (var item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                page.Add(item);
                count++;
                if (page.Count == listing.PageRows)
                {
                    await output.WriteAsync(Render(listing.Page(page)).AsMemory(), cancellationToken).ConfigureAwait(false);
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                    page.Clear();
                }
            }

            if (page.Count > 0)
            {
                await output.WriteAsync(Render(listing.Page(page)).AsMemory(), cancellationToken).ConfigureAwait(false);
            }

            await output.WriteAsync(Render(new Text(listing.Summary(count))).AsMemory(), cancellationToken).ConfigureAwait(false);
        }

        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task DrainAsync(System.Text.Json.Utf8JsonWriter writer, System.Buffers.ArrayBufferWriter<byte> buffer, TextWriter output, CancellationToken cancellationToken)
    {
        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        await output.WriteAsync(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan).AsMemory(), cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        buffer.ResetWrittenCount();
    }

    /// <summary>The width tables must fit: the terminal's (or COLUMNS); unbounded when output is redirected.</summary>
    public static int FitWidth { get; private set; } = RenderWidth;

    private static Option<string?> CreateOption()
    {
        var option = new Option<string?>("--output", "-o")
        {
            Description = $"How results are printed: human (tables) or json (for scripts). Default: human on a terminal, json when standard output is redirected; {EnvironmentVariable} sets it too.",
            HelpName = "json|human",
            Recursive = true,
        };
        option.AcceptOnlyFromAmong(Names);
        return option;
    }

    private static string Render(IRenderable renderable)
    {
        Buffer.GetStringBuilder().Clear();
        HumanConsole.Value.Write(renderable);

        // Grids and tables pad every cell to its column's width: trailing blanks only get in the way of copying a value. A plain text
        // ends without a line break: every result ends with one.
        var text = string.Join('\n', Buffer.ToString().Split('\n').Select(line => line.TrimEnd(' ')));
        return text.EndsWith('\n') ? text : text + "\n";
    }

    // Colours and styles only on a terminal, and no colour when NO_COLOR is set (no-color.org); a file or a pipe gets plain text.
    private static IAnsiConsole CreateConsole()
    {
        var terminal = !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Buffer),
            Ansi = terminal ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = terminal && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")) ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Enrichment = new ProfileEnrichment { UseDefaultEnrichers = false },
        });
        console.Profile.Width = RenderWidth;
        FitWidth = Environment.GetEnvironmentVariable("COLUMNS") is { } columns && int.TryParse(columns, CultureInfo.InvariantCulture, out var set) && set > 0
            ? set
            : terminal ? TerminalWidth() : RenderWidth;
        console.Profile.Capabilities.Unicode = Console.OutputEncoding.WebName.StartsWith("utf", StringComparison.OrdinalIgnoreCase);
        return console;
    }

    private static int TerminalWidth()
    {
        try
        {
            return Console.WindowWidth is > 0 and var width ? width : 80;
        }
        catch (IOException)
        {
            return 80;
        }
    }
}
