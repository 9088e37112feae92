using System.Reflection;
using System.Xml.Linq;

namespace Hds.Storage.Tests.Hygiene;

/// <summary>
/// Every verb of the client says what it throws (issue 15): at least the failures any call can meet (refused, storage
/// unavailable, audit not durable), read from the XML documentation the package ships.
/// </summary>
public sealed class ExceptionDocsTests
{
    private static readonly string[] EveryVerb = ["HdsAccessDeniedException", "HdsBackendUnavailableException", "HdsAuditException"];

    [Fact]
    public void Every_public_verb_documents_the_exceptions_any_call_can_meet()
    {
        var xml = Path.ChangeExtension(typeof(HdsStorageClient).Assembly.Location, ".xml");
        var members = XDocument.Load(xml).Descendants("member")
            .GroupBy(m => (string)m.Attribute("name")!)
            .ToDictionary(g => g.Key, g => g.SelectMany(m => m.Elements("exception")).Select(e => ((string)e.Attribute("cref")!).Split('.')[^1]).ToHashSet());
        var verbs = typeof(HdsStorageClient).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.IsVirtual && !m.IsFinal && m.Name.EndsWith("Async", StringComparison.Ordinal))
            .ToList();
        Assert.True(verbs.Count >= 18, $"{verbs.Count} verbs found");

        var missing = new List<string>();
        foreach (var verb in verbs)
        {
            var id = "M:Hds.Storage.HdsStorageClient." + verb.Name + "(" + string.Join(",", verb.GetParameters().Select(p => XmlName(p.ParameterType))) + ")";
            if (!members.TryGetValue(id, out var documented))
            {
                missing.Add($"{id}: no documentation");
                continue;
            }

            missing.AddRange(EveryVerb.Where(e => !documented.Contains(e)).Select(e => $"{verb.Name}: {e}"));
        }

        Assert.True(missing.Count == 0, "undocumented: " + string.Join("; ", missing));
    }

    // The documentation id of a parameter type (no generic parameter types among the verbs' parameters but Nullable-free ones).
    private static string XmlName(Type type) =>
        type.IsGenericType
            ? type.GetGenericTypeDefinition().FullName![..type.GetGenericTypeDefinition().FullName!.IndexOf('`', StringComparison.Ordinal)]
                + "{" + string.Join(",", type.GetGenericArguments().Select(XmlName)) + "}"
            : type.FullName!;
}
