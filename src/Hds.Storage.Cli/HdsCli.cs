using System.CommandLine;
using System.CommandLine.Help;
using Hds.Storage.Cli.Commands;

namespace Hds.Storage.Cli;

/// <summary>Builds the command tree and runs one command line: JSON on stdout, one <c>error:</c> line on stderr, a stable exit code.</summary>
internal static class HdsCli
{
    private const string Description = """
        hds: store and read health documents on S3 object storage with verified integrity, enforced object lock and an access context.

        Backend: --local <dir> (embedded store, not HDS-grade) or --endpoint <url> --bucket <name> (S3; credentials from
        AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). Several sites: repeat --endpoint (preferred first) or give
        --site name=url[,priority][,ro]; operations fail over between sites for at most --failover-timeout seconds (default 30).
        Object commands need --actor, --tenant and --purpose (--role optional).
        Retention classes: "default" = 20 years COMPLIANCE (used when --class is omitted); "short" = 1 day COMPLIANCE (trials and tests only).
        JSON results go to stdout, messages to stderr.
        Exit codes: 0 ok, 1 usage or invalid request, 2 configuration (bucket without versioning/object lock), 3 access denied,
        4 integrity failure, 5 not found, 6 refused by retention or legal hold, 7 backend unavailable, 10 other failure.
        """;

    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand(Description);
        CliContext.AddGlobalOptions(root);
        root.Add(BucketCommands.Create());
        root.Add(PutCommand.Create());
        root.Add(GetCommand.Create());
        root.Add(HeadCommand.Create());
        root.Add(ListCommands.CreateList());
        root.Add(ListCommands.CreateVersions());
        root.Add(DeleteCommand.Create());
        root.Add(LockCommands.CreateLegalHold());
        root.Add(LockCommands.CreateRetention());
        root.Add(VerifyCommand.Create());
        return root;
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var parse = CreateRootCommand().Parse(args);
        var error = CliContext.Error;
        if (parse.Errors.Count > 0 && parse.Action is not HelpAction)
        {
            foreach (var parseError in parse.Errors)
            {
                await WriteErrorAsync(error, HdsErrorCode.InvalidRequest, parseError.Message).ConfigureAwait(false);
            }

            await error.WriteLineAsync("Run 'hds --help' for usage.").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            var (exitCode, code) = ExitCodes.For(ex);
            await WriteErrorAsync(error, code, ex.Message).ConfigureAwait(false);
            return exitCode;
        }
    }

    public static Task WriteErrorAsync(TextWriter error, HdsErrorCode code, string message) =>
        error.WriteLineAsync($"error: {code}: {message.ReplaceLineEndings(" ")}");
}
