using System.Diagnostics;

namespace Hds.Storage.IntegrationTests.Infrastructure;

/// <summary>
/// The extra gateways c and d of the test cluster (tests/s3-server/gateway.sh), which only the fault tests use and may kill.
/// Never a or b: every other test shares those.
/// </summary>
public static class Gateways
{
    public const string C = "c";
    public const string D = "d";

    public static int Port(string gateway) => gateway switch
    {
        C => PortFromEnvironment("HDS_S3_PORT_C", 7482),
        D => PortFromEnvironment("HDS_S3_PORT_D", 7483),
        _ => throw new ArgumentException("Fault tests only control gateways c and d.", nameof(gateway)),
    };

    public static Uri Url(string gateway) => new($"http://127.0.0.1:{Port(gateway)}");

    public static Task StartAsync(string gateway) => RunAsync("start", gateway);

    /// <summary>SIGKILL: the gateway dies mid-request, as in a crash.</summary>
    public static Task KillAsync(string gateway) => RunAsync("kill", gateway);

    public static Task StopAsync(string gateway) => RunAsync("stop", gateway);

    private static int PortFromEnvironment(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), out var port) ? port : fallback;

    private static Task RunAsync(string action, string gateway)
    {
        _ = Port(gateway); // refuses a and b
        return TestScripts.RunAsync("gateway.sh", [action, gateway], TimeSpan.FromMinutes(4));
    }
}
