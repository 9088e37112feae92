using System.CommandLine;
using System.CommandLine.Parsing;

namespace Hds.Storage.Cli;

/// <summary>
/// The usage errors of a command line, said so that an operator can fix them: unknown options are errors (never taken as a key or
/// a prefix: "hds ls --verbose" must not list the prefix "--verbose"), a mistyped command or option gets a "did you mean", and the
/// help to read is the command's own.
/// </summary>
internal static class UsageErrors
{
    /// <summary>The messages to print, none when the command line is usable.</summary>
    public static List<string> Of(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var messages = new List<string>();
        var unrecognized = false;
        foreach (var error in parse.Errors)
        {
            if (error.Message.StartsWith("Unrecognized command or argument '", StringComparison.Ordinal))
            {
                unrecognized = true;
                var typed = error.Message["Unrecognized command or argument '".Length..].TrimEnd('.', '\'');
                messages.Add(Unknown(typed, command));
            }
        }

        foreach (var error in parse.Errors)
        {
            if (error.Message.StartsWith("Unrecognized command or argument '", StringComparison.Ordinal)
                || (unrecognized && error.Message.StartsWith("Required command was not provided", StringComparison.Ordinal)))
            {
                continue; // said above, better; a missing command after a mistyped one is the same mistake
            }

            // System.CommandLine lists the allowed values of an enum with tabs ("Must be one of: \t'on' \t'off'"): one line, commas.
            messages.Add(string.Join(", ", error.Message.Split('\t', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                .Replace(":,", ":", StringComparison.Ordinal));
        }

        // Tokens that look like options but were taken as a positional argument (a key, a prefix): an option this command does not have.
        // Only the command's own arguments: an option's value may start with '-' (RGW version ids do), and after "--" anything goes.
        var beforeDoubleDash = parse.Tokens.TakeWhile(t => t.Type != TokenType.DoubleDash).ToHashSet();
        foreach (var token in parse.CommandResult.Children.OfType<ArgumentResult>().SelectMany(a => a.Tokens))
        {
            if (beforeDoubleDash.Contains(token) && token.Value.Length > 1 && token.Value[0] == '-' && !char.IsAsciiDigit(token.Value[1])
                && !messages.Any(m => m.Contains($"'{token.Value}'", StringComparison.Ordinal)))
            {
                messages.Add(Unknown(token.Value, command));
            }
        }

        return messages;
    }

    /// <summary>Where to read the usage of the command that was meant.</summary>
    public static string HelpHint(ParseResult parse)
    {
        var path = new List<string>();
        for (var result = parse.CommandResult; result is not null; result = result.Parent as CommandResult)
        {
            path.Insert(0, result.Command is RootCommand ? "hds" : result.Command.Name);
        }

        return $"Run '{string.Join(' ', path)} --help' for usage.";
    }

    private static string Unknown(string typed, Command command)
    {
        var isOption = typed.StartsWith('-');
        var where = command is RootCommand ? "hds" : $"'{command.Name}'";
        var candidates = (isOption
            ? OptionsOf(command)
            : command.Subcommands.Select(c => c.Name).Concat(command.Subcommands.SelectMany(c => c.Aliases))).ToList();
        if (candidates.Contains(typed, StringComparer.Ordinal))
        {
            return $"Unexpected argument '{typed}' for {where}: after '--' every word is an argument, options go before it.";
        }

        if (!isOption && !command.Subcommands.Any())
        {
            return $"Unexpected argument '{typed}' for {where}.";
        }

        var what = isOption ? $"Unknown option '{typed}'" : $"Unknown command '{typed}'";
        var suggestion = Closest(typed, candidates);
        return suggestion is null ? $"{what} for {where}." : $"{what} for {where}. Did you mean '{suggestion}'?";
    }

    private static IEnumerable<string> OptionsOf(Command command)
    {
        for (var c = command; c is not null; c = c.Parents.OfType<Command>().FirstOrDefault())
        {
            foreach (var option in c.Options.Where(o => c == command || o.Recursive))
            {
                yield return option.Name;
                foreach (var alias in option.Aliases)
                {
                    yield return alias;
                }
            }
        }
    }

    // The candidate nearest by edit distance, when it is near enough to be what was meant (or the typed text is its prefix).
    internal static string? Closest(string typed, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates.Distinct(StringComparer.Ordinal))
        {
            var distance = candidate.StartsWith(typed, StringComparison.Ordinal) && typed.TrimStart('-').Length >= 2 ? 0 : Distance(typed, candidate);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return best is not null && bestDistance <= Math.Max(1, typed.TrimStart('-').Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
