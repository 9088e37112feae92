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
