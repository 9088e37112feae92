using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Spectre.Console.Rendering;

namespace Hds.Storage.Cli.Output;

/// <summary>One kind of result the CLI prints, in both forms: its JSON (the scripts' contract) and its rendering for people.</summary>
internal sealed class CliReport<T>
{
    private readonly Func<T, string> _json;
    private readonly Func<T, IRenderable> _human;

    public CliReport(Func<T, string> json, Func<T, IRenderable> human)
    {
        _json = json;
        _human = human;
    }

    public CliReport(JsonTypeInfo<T> json, Func<T, IRenderable> human)
        : this(value => JsonSerializer.Serialize(value, json), human)
    {
    }

    public string ToJson(T value) => _json(value);

    public IRenderable ToHuman(T value) => _human(value);
}

/// <summary>
/// A listing the CLI prints as it reads it (<see cref="CliOutput.WriteListingAsync"/>): each item's JSON (the array's items), a
/// page of items for people, and the closing count.
/// </summary>
internal sealed class CliListing<T>(JsonTypeInfo<T> item, Func<IReadOnlyList<T>, IRenderable> page, Func<int, string> summary)
{
    /// <summary>Rows per table for people: one table per this many items, so a long listing starts printing at once.</summary>
    public int PageRows { get; init; } = 500;

    public JsonTypeInfo<T> Item => item;

    public IRenderable Page(IReadOnlyList<T> items) => page(items);

    public string Summary(int count) => summary(count);
}
