using System.CommandLine;
using System.CommandLine.Help;
using Hds.Storage.Cli.Commands;
using Hds.Storage.Cli.Output;

namespace Hds.Storage.Cli;

/// <summary>Builds the command tree and runs one command line: results on stdout (JSON or human), one <c>error:</c> line on stderr, a stable exit code.</summary>
internal static class HdsCli
{
    private const string Description = """
        hds: store and read health documents on S3 object storage with verified integrity, enforced object lock and an access context.

        Backend: --local <dir> (embedded store, not HDS-grade) or --endpoint <url> --bucket <name> (S3; credentials from
        AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). Several sites: repeat --endpoint (preferred first) or give
        --site name=url[,priority][,ro]; operations fail over between sites for at most --failover-timeout seconds (default 30).
        Object commands need --actor, --tenant and --purpose; --role (repeatable) names the roles held: auditor for audit, key-admin for keys, legal for legal-hold and retention.
        Retention classes: "default" = 20 years COMPLIANCE (used when --class is omitted); "short" = 1 day COMPLIANCE (trials and tests only).
        Key-ring certificates: --cert <pfx|pem> (with private key; PFX password from HDS_CERT_PASSWORD) and --escrow-cert <cer|pem>
        (public part), both repeatable; required for S3, the embedded store uses a development certificate when none is given.
        Configuration: ./hds.json or --config <file> (section "HdsStorage", the library's options), overridden by HdsStorage__* or
        HDS_* environment variables, overridden by flags; 'hds config show' prints the result.
        Output: results go to stdout, human-readable on a terminal and JSON when stdout is redirected (pipes, files, scripts);
        --output json|human (-o) or HDS_OUTPUT=json|human chooses. Messages and errors go to stderr; NO_COLOR turns colours off.
        Exit codes: 0 ok, 1 usage or invalid request, 2 configuration (bucket without versioning/object lock), 3 access denied,
        4 integrity failure, 5 not found, 6 refused by retention or legal hold, 7 backend unavailable,
        8 stored and locked but confirmed on fewer sites than --ack-sites asked (receipt printed), 9 version on no reachable site
        (not replicated yet: retry later), 10 other failure.
        """;

    public static RootCommand CreateRootCommand()
    {
        var root = new RootCommand(Description + Environment.NewLine + Environment.NewLine + "Example:" + Environment.NewLine
            + "  hds put scan.pdf files/2026/0001 --local ./store --actor op-42 --tenant msa --purpose claim-processing" + Environment.NewLine
            + "  hds ls files/2026/ -o json --local ./store --actor op-42 --tenant msa --purpose claim-processing | jq -r '.[].key'");
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
        root.Add(KeysCommands.Create());
        root.Add(AuditCommands.Create());
        root.Add(ConfigCommands.Create());
        root.Add(SitesCommands.Create());
        AddExamples(root, string.Empty);
        return root;
    }

    // One example per command, shown by --help (after the description). $S = backend options, $CTX = access context.
    private static readonly Dictionary<string, string> Examples = new(StringComparer.Ordinal)
    {
        ["bucket"] = "hds bucket check --endpoint https://s3.example:10443 --bucket hds-msa --cert ops.pfx --escrow-cert escrow.cer --actor op-42 --tenant msa --purpose audit",
        ["bucket check"] = "hds bucket check --local ./store --actor op-42 --tenant msa --purpose audit",
        ["bucket create"] = "hds bucket create hds-msa --endpoint https://s3.example:10443 --cert ops.pfx --escrow-cert escrow.cer --actor op-42 --tenant msa --purpose audit",
        ["put"] = "hds put scan.pdf files/2026/0001 --content-type application/pdf --local ./store --actor op-42 --tenant msa --purpose claim-processing -o json > receipt.json",
        ["get"] = "hds get files/2026/0001 --out copy.pdf --local ./store --actor op-42 --tenant msa --purpose claim-processing",
        ["head"] = "hds head files/2026/0001 --local ./store --actor op-42 --tenant msa --purpose claim-processing",
        ["ls"] = "hds ls files/2026/ --local ./store --actor op-42 --tenant msa --purpose claim-processing",
        ["versions"] = "hds versions files/2026/0001 --local ./store --actor op-42 --tenant msa --purpose claim-processing",
        ["delete"] = "hds delete files/2026/0001 --local ./store --actor op-42 --tenant msa --purpose claim-processing",
        ["legal-hold"] = "hds legal-hold files/2026/0001 on --local ./store --actor op-42 --tenant msa --purpose legal-hold --role legal",
        ["retention"] = "hds retention extend files/2026/0001 --until 2060-01-01 --local ./store --actor op-42 --tenant msa --purpose retention --role legal",
        ["retention extend"] = "hds retention extend files/2026/0001 --until 2060-01-01 --local ./store --actor op-42 --tenant msa --purpose retention --role legal",
        ["verify"] = "hds verify files/2026/0001 --receipt receipt.json --local ./store --actor op-42 --tenant msa --purpose audit",
        ["keys"] = "hds keys list --endpoint https://s3.example:10443 --bucket hds-msa --cert ops.pfx --escrow-cert escrow.cer --actor op-42 --tenant operator --purpose key-management --role key-admin",
        ["keys list"] = "hds keys list --endpoint https://s3.example:10443 --bucket hds-msa --cert ops.pfx --escrow-cert escrow.cer --actor op-42 --tenant operator --purpose key-management --role key-admin",
        ["keys rotate"] = "hds keys rotate --endpoint https://s3.example:10443 --bucket hds-msa --cert ops.pfx --escrow-cert escrow.cer --actor op-42 --tenant operator --purpose key-management --role key-admin",
        ["keys rewrap"] = "HDS_CERT_PASSWORD=... hds keys rewrap --endpoint https://s3.example:10443 --bucket hds-msa --cert old-ops.pfx --cert new-ops.pfx --escrow-cert escrow.cer --actor op-42 --tenant operator --purpose key-management --role key-admin",
        ["keys revoke"] = "hds keys revoke 20260131T080000Z-3f9a1c --endpoint https://s3.example:10443 --bucket hds-msa --cert ops.pfx --escrow-cert escrow.cer --actor op-42 --tenant operator --purpose key-management --role key-admin",
        ["audit"] = "hds audit verify --from 2026-01-01 --local ./store --actor auditor-7 --tenant msa --purpose audit --role auditor",
        ["audit verify"] = "hds audit verify --from 2026-01-01 --to 2026-02-01 --local ./store --actor auditor-7 --tenant msa --purpose audit --role auditor",
        ["audit tail"] = "hds audit tail --n 50 -o json --local ./store --actor auditor-7 --tenant msa --purpose audit --role auditor",
        ["config"] = "hds config show --config /etc/hds/hds.json",
        ["config show"] = "HDS_S3__BUCKET=hds-msa hds config show",
    };

    private static void AddExamples(Command command, string path)
    {
        foreach (var child in command.Subcommands)
        {
            var name = path.Length == 0 ? child.Name : path + " " + child.Name;
            if (Examples.TryGetValue(name, out var example))
            {
                child.Description += Environment.NewLine + Environment.NewLine + "Example:" + Environment.NewLine + "  " + example;
            }

            AddExamples(child, name);
        }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var parse = CreateRootCommand().Parse(args);
        var error = CliContext.Error;
        if (parse.Action is not HelpAction && UsageErrors.Of(parse) is { Count: > 0 } usage)
        {
            foreach (var message in usage)
            {
                await WriteErrorAsync(error, HdsErrorCode.InvalidRequest, message).ConfigureAwait(false);
            }

            await error.WriteLineAsync(UsageErrors.HelpHint(parse)).ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        try
        {
            if (parse.Action is not HelpAction)
            {
                CliOutput.FormatOf(parse); // a bad HDS_OUTPUT is refused before any I/O, not after a write succeeded
            }

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
