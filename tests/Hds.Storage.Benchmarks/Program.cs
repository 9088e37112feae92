using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Hds.Storage.Benchmarks -- --filter *Pipeline*
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

/// <summary>Entry point type (for BenchmarkSwitcher).</summary>
public partial class Program;
